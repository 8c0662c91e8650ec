-- flows/query.py: an analyst's connection never installs or loads an extension it was not given
set autoinstall_known_extensions = false;
set autoload_known_extensions = false;
set allow_community_extensions = false
