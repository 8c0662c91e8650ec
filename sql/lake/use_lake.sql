-- unqualified table names mean the lake's tables, so the same SQL runs on a file and a lake
use lake
