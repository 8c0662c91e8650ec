-- how many snapshots the lake keeps (time travel can reach each of them)
select count(*) as snapshots
from lake.snapshots()
