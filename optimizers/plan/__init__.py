"""Stage 4 of allocation: a plan (fills) as the frames everyone reads (``extract``), the
reasons of its backorders (``backorders``), why each line went where it did (``why``), and
the one plan checker (``check``)."""
