-- attach the lake (created on first use) for reading and writing
attach 'ducklake:newsprint_lake' as lake
