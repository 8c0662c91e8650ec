-- the fingerprint of the lake's articles the index file was built from
select articles, ids, last_loaded_at
from search_source
