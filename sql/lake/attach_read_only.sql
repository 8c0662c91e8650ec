-- attach the lake for an analyst: every write is refused
attach 'ducklake:newsprint_lake' as lake (read_only)
