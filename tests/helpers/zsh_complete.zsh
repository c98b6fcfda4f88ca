# Complete a command line in an interactive zsh on a pseudo-terminal and
# print what the terminal showed, once it shows UNTIL (or after 10 s):
# zsh_complete.zsh FPATH_DIR CWD LINE UNTIL.
# (zsh's completion runs only in its line editor.)
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u; cd $2"
zpty -w -n z "$3"$'\t'
local all="" chunk
integer i
for (( i = 0; i < 100; i++ )); do
  if zpty -rt z chunk; then all+=$chunk; fi
  [[ $all == *"$4"* ]] && break
  sleep 0.1
done
print -r -- ${all//$'\e'/ESC}
zpty -d z
