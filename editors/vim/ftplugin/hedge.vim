" Vim filetype plugin for hedge: comments, indentation, `hedge fmt` as the
" formatter (gq, or :HedgeFmt for the whole buffer).
if exists("b:did_ftplugin")
  finish
endif
let b:did_ftplugin = 1

setlocal comments=:# commentstring=#\ %s
setlocal expandtab shiftwidth=2 softtabstop=2
setlocal formatprg=hedge\ fmt\ -
command! -buffer HedgeFmt call s:HedgeFmt()

" The whole buffer through `hedge fmt -`; a buffer that does not parse is
" left as it was and the error shown.
function! s:HedgeFmt() abort
  let l:view = winsaveview()
  let l:out = systemlist('hedge fmt -', getline(1, '$'))
  if v:shell_error
    echohl ErrorMsg | echomsg 'hedge fmt: ' . join(l:out[:2], ' ') | echohl None
    return
  endif
  if l:out !=# getline(1, '$')
    silent! undojoin
    call setline(1, l:out)
    if line('$') > len(l:out)
      silent execute (len(l:out) + 1) . ',$delete _'
    endif
  endif
  call winrestview(l:view)
endfunction

let b:undo_ftplugin = "setlocal comments< commentstring< expandtab< shiftwidth< softtabstop< formatprg<"
      \ . " | delcommand HedgeFmt"
