" hedge policy files (https: none; see docs/editors.md)
autocmd BufRead,BufNewFile *.hedge setfiletype hedge
