summary --at 'iteration#2' sample-traces/iterations.trace
