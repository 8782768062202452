#!/usr/bin/env python3
# An idealised model of the mixed scenario (docs/benchmarks.md, scenario 2): M/G/8 at its load (xl,
# batch 1, 37.02 ms a step, 8- and 50-step jobs equally often, 80% of the fleet's best throughput):
# mean completion under FCFS, non-preemptive SJF and SRPT preemptive at step boundaries. No RPC
# time, no encoding or decoding: what ordering alone can buy.
# Run: python3 loadtest/analysis/mixed_ordering_bound.py (seconds).
import heapq, random
STEP=0.03702; NODES=8; LAM=0.8*NODES*(16/0.56631)/29
def run(policy, n=100000, seed=1):
    rnd=random.Random(seed); t=0; arr=[]
    for i in range(n):
        t+=rnd.expovariate(LAM); arr.append((t, 8 if rnd.random()<0.5 else 50))
    def key(j):
        a,rem,jid,started=j
        if policy=='fcfs': return (a,)
        if policy=='sjf': return (0 if started else 1, rem, a)
        return (rem, a)   # srpt
    queue=[]; idle=list(range(NODES)); ev=[(arr[0][0],0,0)]; done=[]; running={}
    while ev:
        now,kind,x=heapq.heappop(ev)
        if kind==0:
            heapq.heappush(queue,(key([arr[x][0],arr[x][1],x,False]),[arr[x][0],arr[x][1],x,False]))
            if x+1<n: heapq.heappush(ev,(arr[x+1][0],0,x+1))
        else:
            job=running.pop(x); job[1]-=1; idle.append(x)
            if job[1]==0: done.append(now-job[0])
            else: heapq.heappush(queue,(key(job),job))
        while idle and queue:
            _,job=heapq.heappop(queue); job[3]=True; node=idle.pop()
            running[node]=job; heapq.heappush(ev,(now+STEP,1,node))
    return sum(done)/len(done)
f=run('fcfs'); print('load/s', LAM, 'mean service', 29*STEP)
for p in ('fcfs','sjf','srpt'):
    m=run(p); print(p, round(m,3), 's', round(m/f,3), 'x fcfs')
