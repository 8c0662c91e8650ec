-- why a run failed, in the words the console showed (a full disk, a signal, files that could
-- not be read); null for a run that completed
alter table runs add column if not exists message varchar;
