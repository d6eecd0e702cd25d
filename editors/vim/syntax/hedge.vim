" Vim syntax file for hedge, the trade and dependency policy language.
" Groups: keywords (declarations, statements, quantifiers and operators),
" booleans, comments (with `#?` test directives), strings and escapes,
" dates, percentages, numbers, quantities (a number and its unit, such as
" `5M USD` or `65 USD/bbl`), backquoted names, declared names.
if exists("b:current_syntax")
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match

" Declarations and statements
syn keyword hedgeDeclaration partner commodity deal loan unit let fn rule warn scenario test extern
" contextual words that start a declaration: group EU = [...], fiscal year ...
syn match   hedgeDeclaration "^\s*\zs\%(group\|fiscal\)\ze\s\+\h"
syn keyword hedgeStatement   print import use load from extends drop update expect pass fail
" Quantifiers, conditionals and word operators
syn keyword hedgeRepeat      forall exists
syn keyword hedgeConditional if then else
syn keyword hedgeOperator    and or not in where
syn keyword hedgeBoolean     true false
syn keyword hedgeConstant    nil

" Names: backquoted (any text but a backquote), and the name a declaration gives
syn match hedgeBackquoted "`[^`]\+`"
syn match hedgeDeclName "\%(\<\%(rule\|warn\|fn\|scenario\|let\|unit\)\s\+\)\@<=\h\w*"

" Numbers: digits with _ separators, a fraction, an exponent, a scale K M B T;
" a percentage ends in %; a quantity is a number then its unit on the same line
" (a unit joins names with / or * and is never a keyword)
syn match hedgeNumber   "\<\d[0-9_]*\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=[KMBT]\=\>" contained
syn match hedgeUnit     "\h\w*\%([/*]\h\w*\)*" contained
syn match hedgePlainNumber "\<\d[0-9_]*\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=[KMBT]\=\>" contains=hedgeNumber
syn match hedgeQuantity "\<\d[0-9_]*\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=[KMBT]\=[ \t]*\%(\%(partner\|commodity\|deal\|loan\|unit\|let\|fn\|rule\|warn\|print\|import\|use\|extern\|load\|from\|scenario\|extends\|drop\|update\|test\|expect\|pass\|fail\|forall\|exists\|in\|where\|and\|or\|not\|if\|then\|else\|true\|false\|nil\)\>\)\@!\h\w*\%([/*]\h\w*\)*" contains=hedgeNumber,hedgeUnit
syn match hedgePercent  "\<\d[0-9_]*\%(\.\d\+\)\=\%([eE][+-]\=\d\+\)\=[KMBT]\=%"
" Dates: 2025-10 (a month) and 2025-10-15 (a day), never a subtraction
syn match hedgeDate     "\<\d\{4}-\d\{2}\%(-\d\{2}\)\=\>"

" Strings end on their line; escapes \n \t \" \\ \u{...}
syn match  hedgeEscape  "\\[nt\"\\]" contained
syn match  hedgeEscape  "\\u{\x\{1,6}}" contained
syn region hedgeString  start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=hedgeEscape

" Comments; `#?` lines are test directives (tests/run.py)
syn keyword hedgeTodo      TODO FIXME XXX NOTE contained
syn match   hedgeComment   "#.*$" contains=hedgeTodo,@Spell
syn match   hedgeDirective "^#?.*$"

hi def link hedgeDeclaration Structure
hi def link hedgeStatement   Statement
hi def link hedgeRepeat      Repeat
hi def link hedgeConditional Conditional
hi def link hedgeOperator    Operator
hi def link hedgeBoolean     Boolean
hi def link hedgeConstant    Constant
hi def link hedgeBackquoted  Identifier
hi def link hedgeDeclName    Function
hi def link hedgeNumber      Number
hi def link hedgePlainNumber Number
hi def link hedgeUnit        Type
hi def link hedgePercent     Float
hi def link hedgeDate        Constant
hi def link hedgeString      String
hi def link hedgeEscape      SpecialChar
hi def link hedgeComment     Comment
hi def link hedgeDirective   PreProc
hi def link hedgeTodo        Todo

let b:current_syntax = "hedge"
let &cpo = s:cpo_save
unlet s:cpo_save
