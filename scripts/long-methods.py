#!/usr/bin/env python3
# Lists methods, constructors, local functions and lambdas whose block body is longer than N lines, by brace
# matching on C# source (a heuristic: a primary constructor of a class may show as a false hit). Issue 15 keeps the
# daemon's request core under ~60 lines a method:
#   scripts/long-methods.py 60 src/KeyCustody.Daemon/{Signing,Requests,KeyAdmin,Tokens,Audit}
import os, re, sys
N=int(sys.argv[1]); roots=sys.argv[2:]; found=0
control=re.compile(r'^\s*(if|else|for|foreach|while|switch|using|catch|lock|try|finally|do|fixed|checked|unchecked)\b')
typedecl=re.compile(r'\b(class|record|struct|interface|enum|namespace)\b')
for root in roots:
  for dp,_,fs in os.walk(root):
    for f in fs:
      if not f.endswith('.cs'): continue
      p=os.path.join(dp,f); L=open(p).read().split('\n')
      for i in range(len(L)-1):
        line=L[i]; nxt=L[i+1].strip()
        if nxt!='{' or control.match(line) or typedecl.search(line) or not line.strip(): continue
        if not (line.rstrip().endswith(')') or line.rstrip().endswith('=>') or re.search(r'\)\s*where\s', line)): continue
        depth=0; j=i+1
        while j<len(L):
          depth+=L[j].count('{')-L[j].count('}')
          if depth==0: break
          j+=1
        # walk back to the start of a multi-line signature
        k=i
        while k>0 and not L[k].rstrip().endswith((';','{','}')) and L[k-1].strip() and not L[k-1].rstrip().endswith((';','{','}',']')) and not L[k-1].strip().startswith('///'): k-=1
        n=j-k+1
        if n>N and not typedecl.search(L[k]):
          found+=1
          print(f'{n:4d} {p}:{k+1} {L[k].strip()[:110]}')
sys.exit(1 if found else 0)
