select count(*) > 0 as loaded from issues where sha256 = $sha256
