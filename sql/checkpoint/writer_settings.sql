-- flows/checkpoint.py: a writer checkpoints only through the journal, never on its own
set checkpoint_threshold = '1000TB';
pragma disable_checkpoint_on_shutdown;
