"""Publishing to the Hugging Face Hub: the model card (:mod:`.card`), the folder uploaded for a revision
(:mod:`.folder`), the upload (:mod:`.push`), the hook every stage shares (:mod:`.hook`), the recipe as run
(:mod:`.recipe`), and the token kept out of every message and file (:mod:`.secrets`)."""
