" Vim filetype plugin for hedge: comments, indentation, `hedge fmt` as the
" formatter (gq, or :HedgeFmt for the whole buffer).
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal comments=:# commentstring=#\ %s
setlocal expandtab shiftwidth=2 softtabstop=2
setlocal formatprg=hedge\ fmt\ -
command! -buffer HedgeFmt let s:view = winsaveview() | silent %!hedge fmt -
      \ | if v:shell_error | undo | echoerr 'hedge fmt: the file does not parse (see :!hedge check %)' | endif
      \ | call winrestview(s:view)

let b:undo_ftplugin = "setlocal comments< commentstring< expandtab< shiftwidth< softtabstop< formatprg<"
      \ . " | delcommand HedgeFmt"
