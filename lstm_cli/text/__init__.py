"""Plain text to sentences of tokens with character offsets: tokenisers and sentence splitters
(`tokenize`), CoNLL-U documents as raw text with gold offsets (`conllu_text`), and the
character-level labelling a tokeniser trained by `lstm` learns (`chars`)."""
