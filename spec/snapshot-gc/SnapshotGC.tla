----------------------------- MODULE SnapshotGC -----------------------------
(***************************************************************************)
(* Garbage collection by snapshot restore on one host, and its relatives.  *)
(*                                                                         *)
(* Seeds: US10824339B1 (a GC manager restores a snapshot taken before the  *)
(* garbage accumulated instead of collecting item by item, keeping the     *)
(* state the VM declares preserved), US11836516B2 / US20220012083A1        *)
(* (ready-state snapshots: new instances start from S), US11714675B2 /     *)
(* US20220004423A1 / US11119809B1 (transaction retries: snapshot before an *)
(* attempt, judge it by success criteria, restore and re-run),             *)
(* US11943093B1 (terminate open connections on both ends before a halt),   *)
(* US10649749B1 / US20200341741A1 (tracing data carried across short-lived *)
(* environments, kept by the host).                                        *)
(*                                                                         *)
(* Every instance starts from the ready-state snapshot S.  Executions add  *)
(* garbage when they finish and may write the preserved state.  When       *)
(* garbage reaches Threshold the GC manager stops admitting, waits until   *)
(* no execution runs, saves the preserved state, terminates connections on *)
(* both ends, restores S (garbage 0, fresh entropy, new generation),       *)
(* writes the preserved state back and admits again.  A transaction runs  *)
(* at most MaxAttempts attempts, each after restoring the snapshot taken   *)
(* before the first; its external effect carries an idempotency key.       *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, TLC

CONSTANTS
  Instances,    \* instance ids (model values, symmetric)
  Threshold,    \* garbage at which the GC starts
  MaxGarbage,   \* most garbage one execution leaves
  MaxRunning,   \* concurrent executions admitted per instance
  PresMax,      \* preserved-state versions cycle through 1..PresMax (0 = S's)
  GenMax,       \* generation numbers cycle through 1..GenMax (0 = S's)
  MaxAttempts,  \* attempts of a transaction at most
  TraceMax      \* host-side tracing data is counted up to TraceMax

ASSUME Threshold >= 1 /\ MaxGarbage >= 1 /\ MaxRunning >= 1 /\ PresMax >= 2
ASSUME GenMax >= 1 /\ MaxAttempts >= 1 /\ TraceMax >= 0

Phases == {"none", "admitting", "draining", "saved", "terminated", "restored", "written"}
ConnStates == {"none", "open", "closed"}
TxPhases == {"idle", "running", "sent", "failed", "done"}
\* Entropy values: 0 is the one baked into S; one more than instances suffices to be fresh.
Entropies == 0..(Cardinality(Instances) + 1)

VARIABLES
  phase,      \* phase[i]: the GC manager's phase for i ("none" = not launched)
  running,    \* running[i]: executions running in i
  garbage,    \* garbage[i]: garbage in i
  reading,    \* reading[i]: garbage the manager measured when i came up from S
  pres,       \* pres[i]: version of i's preserved state (0 = S's)
  truePres,   \* ghost: the version the preserved state must have (never rolled back)
  saved,      \* saved[i]: version saved by the current GC
  heap,       \* heap[i]: non-preserved state, "S" or "dirty"
  gen,        \* gen[i]: generation number of i's incarnation (0 = S's)
  entropy,    \* entropy[i]: entropy of i's incarnation (0 = S's)
  connInst,   \* connInst[i]: i's connection as the instance sees it
  connPeer,   \* connPeer[i]: the same connection as the peer sees it
  tracing,    \* host-side tracing data of the function, carried across instances
  txPhase,    \* the transaction's phase
  attempt,    \* attempts started
  keyed,      \* the external service has seen the transaction's idempotency key
  applied     \* times the external service applied the effect

instVars == <<phase, running, garbage, reading, pres, truePres, saved, heap, gen, entropy>>
connVars == <<connInst, connPeer>>
txVars == <<txPhase, attempt, keyed, applied>>
vars == <<instVars, connVars, tracing, txVars>>

(***************************************************************************)
(* Garbage bound: when the last execution was admitted garbage was below   *)
(* Threshold; since then at most MaxRunning executions each add at most    *)
(* MaxGarbage.                                                             *)
(***************************************************************************)
GarbageMax == Threshold - 1 + MaxRunning * MaxGarbage

TypeOK ==
  /\ phase \in [Instances -> Phases]
  /\ running \in [Instances -> 0..MaxRunning]
  /\ garbage \in [Instances -> Nat]
  /\ reading \in [Instances -> Nat]
  /\ pres \in [Instances -> 0..PresMax]
  /\ truePres \in [Instances -> 0..PresMax]
  /\ saved \in [Instances -> 0..PresMax]
  /\ heap \in [Instances -> {"S", "dirty"}]
  /\ gen \in [Instances -> 0..GenMax]
  /\ entropy \in [Instances -> Entropies]
  /\ connInst \in [Instances -> ConnStates]
  /\ connPeer \in [Instances -> ConnStates]
  /\ tracing \in 0..TraceMax
  /\ txPhase \in TxPhases
  /\ attempt \in 0..MaxAttempts
  /\ keyed \in BOOLEAN
  /\ applied \in Nat

Init ==
  /\ phase = [i \in Instances |-> "none"]
  /\ running = [i \in Instances |-> 0]
  /\ garbage = [i \in Instances |-> 0]
  /\ reading = [i \in Instances |-> 0]
  /\ pres = [i \in Instances |-> 0]
  /\ truePres = [i \in Instances |-> 0]
  /\ saved = [i \in Instances |-> 0]
  /\ heap = [i \in Instances |-> "S"]
  /\ gen = [i \in Instances |-> 0]
  /\ entropy = [i \in Instances |-> 0]
  /\ connInst = [i \in Instances |-> "none"]
  /\ connPeer = [i \in Instances |-> "none"]
  /\ tracing = 0
  /\ txPhase = "idle"
  /\ attempt = 0
  /\ keyed = FALSE
  /\ applied = 0

Next1(v, max) == IF v = max THEN 1 ELSE v + 1

(***************************************************************************)
(* Entropy no live instance holds and S does not hold.                     *)
(***************************************************************************)
Fresh == CHOOSE e \in Entropies \ {0} : \A j \in Instances : entropy[j] # e

(***************************************************************************)
(* A new instance starts from the ready-state snapshot S with a fresh      *)
(* identity.                                                               *)
(***************************************************************************)
Launch(i) ==
  /\ phase[i] = "none"
  /\ phase' = [phase EXCEPT ![i] = "admitting"]
  /\ gen' = [gen EXCEPT ![i] = 1]
  /\ entropy' = [entropy EXCEPT ![i] = Fresh]
  /\ UNCHANGED <<running, garbage, reading, pres, truePres, saved, heap, connVars, tracing,
                 txVars>>

(***************************************************************************)
(* The admission check: garbage below Threshold and room for another run.  *)
(***************************************************************************)
Admits(i) == garbage[i] < Threshold

(***************************************************************************)
(* An execution is admitted.                                               *)
(***************************************************************************)
Start(i) ==
  /\ phase[i] = "admitting"
  /\ running[i] < MaxRunning
  /\ Admits(i)
  /\ running' = [running EXCEPT ![i] = @ + 1]
  /\ heap' = [heap EXCEPT ![i] = "dirty"]
  /\ UNCHANGED <<phase, garbage, reading, pres, truePres, saved, gen, entropy, connVars,
                 tracing, txVars>>

(***************************************************************************)
(* An execution ends leaving g garbage; it wrote the preserved state if w. *)
(* Its tracing data goes to the host.                                      *)
(***************************************************************************)
Finish(i, g, w) ==
  /\ running[i] > 0
  /\ running' = [running EXCEPT ![i] = @ - 1]
  /\ garbage' = [garbage EXCEPT ![i] = @ + g]
  /\ pres' = IF w THEN [pres EXCEPT ![i] = Next1(truePres[i], PresMax)] ELSE pres
  /\ truePres' = IF w THEN [truePres EXCEPT ![i] = Next1(@, PresMax)] ELSE truePres
  /\ tracing' = IF tracing < TraceMax THEN tracing + 1 ELSE tracing
  /\ UNCHANGED <<phase, reading, saved, heap, gen, entropy, connVars, txVars>>

(***************************************************************************)
(* A running execution opens a connection (both ends open), or closes it   *)
(* (both ends closed).                                                     *)
(***************************************************************************)
Connect(i) ==
  /\ running[i] > 0
  /\ connInst[i] # "open" /\ connPeer[i] # "open"
  /\ connInst' = [connInst EXCEPT ![i] = "open"]
  /\ connPeer' = [connPeer EXCEPT ![i] = "open"]
  /\ UNCHANGED <<instVars, tracing, txVars>>

Disconnect(i) ==
  /\ connInst[i] = "open" /\ connPeer[i] = "open"
  /\ connInst' = [connInst EXCEPT ![i] = "closed"]
  /\ connPeer' = [connPeer EXCEPT ![i] = "closed"]
  /\ UNCHANGED <<instVars, tracing, txVars>>

(***************************************************************************)
(* The GC begins: garbage reached Threshold, admissions stop.              *)
(***************************************************************************)
StopAdmitting(i) ==
  /\ phase[i] = "admitting"
  /\ garbage[i] >= Threshold
  /\ phase' = [phase EXCEPT ![i] = "draining"]
  /\ UNCHANGED <<running, garbage, reading, pres, truePres, saved, heap, gen, entropy,
                 connVars, tracing, txVars>>

(***************************************************************************)
(* No execution runs in i.                                                 *)
(***************************************************************************)
Drained(i) == running[i] = 0

(***************************************************************************)
(* The drain is over: the preserved state is saved.                        *)
(***************************************************************************)
SavePreserved(i) ==
  /\ phase[i] = "draining" /\ Drained(i)
  /\ phase' = [phase EXCEPT ![i] = "saved"]
  /\ saved' = [saved EXCEPT ![i] = pres[i]]
  /\ UNCHANGED <<running, garbage, reading, pres, truePres, heap, gen, entropy, connVars,
                 tracing, txVars>>

(***************************************************************************)
(* Termination signals go to both ends of i's connection.                  *)
(***************************************************************************)
CloseBoth(i) ==
  /\ connInst' = [connInst EXCEPT ![i] = IF @ = "open" THEN "closed" ELSE @]
  /\ connPeer' = [connPeer EXCEPT ![i] = IF @ = "open" THEN "closed" ELSE @]

Terminate(i) ==
  /\ phase[i] = "saved" /\ Drained(i)
  /\ CloseBoth(i)
  /\ phase' = [phase EXCEPT ![i] = "terminated"]
  /\ UNCHANGED <<running, garbage, reading, pres, truePres, saved, heap, gen, entropy, tracing,
                 txVars>>

(***************************************************************************)
(* i gets a new generation number and fresh entropy before it runs again.  *)
(***************************************************************************)
NewIdentity(i) ==
  /\ gen' = [gen EXCEPT ![i] = Next1(@, GenMax)]
  /\ entropy' = [entropy EXCEPT ![i] = Fresh]

(***************************************************************************)
(* S is restored: no garbage, S's heap and preserved state, the instance   *)
(* side of every connection forgotten; the peer side is not in the VM.     *)
(***************************************************************************)
Restore(i) ==
  /\ phase[i] = "terminated" /\ Drained(i)
  /\ phase' = [phase EXCEPT ![i] = "restored"]
  /\ garbage' = [garbage EXCEPT ![i] = 0]
  /\ reading' = [reading EXCEPT ![i] = 0]
  /\ pres' = [pres EXCEPT ![i] = 0]
  /\ heap' = [heap EXCEPT ![i] = "S"]
  /\ connInst' = [connInst EXCEPT ![i] = "none"]
  /\ NewIdentity(i)
  /\ UNCHANGED <<running, truePres, saved, connPeer, tracing, txVars>>

WriteBack(i) ==
  /\ phase[i] = "restored"
  /\ phase' = [phase EXCEPT ![i] = "written"]
  /\ pres' = [pres EXCEPT ![i] = saved[i]]
  /\ saved' = [saved EXCEPT ![i] = 0]
  /\ UNCHANGED <<running, garbage, reading, truePres, heap, gen, entropy, connVars,
                 tracing, txVars>>

Admit(i) ==
  /\ phase[i] = "written"
  /\ phase' = [phase EXCEPT ![i] = "admitting"]
  /\ UNCHANGED <<running, garbage, reading, pres, truePres, saved, heap, gen, entropy,
                 connVars, tracing, txVars>>

(***************************************************************************)
(* Transaction retries.  TxBegin snapshots and starts attempt 1; TxSend    *)
(* asks the external service to apply the effect under the transaction's  *)
(* idempotency key (applied at most once per key); TxJudge applies the     *)
(* success criteria; TxRetry restores the snapshot (which cannot undo the  *)
(* external effect) and starts the next attempt; TxGiveUp stops.           *)
(***************************************************************************)
TxBegin ==
  /\ txPhase = "idle"
  /\ txPhase' = "running" /\ attempt' = 1
  /\ UNCHANGED <<instVars, connVars, tracing, keyed, applied>>

UseKey == TRUE

TxSend ==
  /\ txPhase = "running"
  /\ txPhase' = "sent"
  /\ applied' = IF UseKey /\ keyed THEN applied ELSE applied + 1
  /\ keyed' = UseKey
  /\ UNCHANGED <<instVars, connVars, tracing, attempt>>

TxJudge(ok) ==
  /\ txPhase \in {"running", "sent"}
  /\ txPhase' = IF ok THEN "done" ELSE "failed"
  /\ UNCHANGED <<instVars, connVars, tracing, attempt, keyed, applied>>

TxRetry ==
  /\ txPhase = "failed" /\ attempt < MaxAttempts
  /\ txPhase' = "running" /\ attempt' = attempt + 1
  /\ UNCHANGED <<instVars, connVars, tracing, keyed, applied>>

TxGiveUp ==
  /\ txPhase = "failed" /\ attempt = MaxAttempts
  /\ txPhase' = "done"
  /\ UNCHANGED <<instVars, connVars, tracing, attempt, keyed, applied>>

GcStep(i) ==
  \/ StopAdmitting(i) \/ SavePreserved(i) \/ Terminate(i) \/ Restore(i) \/ WriteBack(i)
  \/ Admit(i)

Next ==
  \/ \E i \in Instances :
       \/ Launch(i) \/ Start(i) \/ Connect(i) \/ Disconnect(i) \/ GcStep(i)
       \/ \E g \in 1..MaxGarbage, w \in BOOLEAN : Finish(i, g, w)
  \/ TxBegin \/ TxSend \/ TxRetry \/ TxGiveUp \/ \E ok \in BOOLEAN : TxJudge(ok)

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* The GC steps and the end of executions are weakly fair.                 *)
(***************************************************************************)
LiveSpec ==
  /\ Spec
  /\ \A i \in Instances :
       /\ WF_vars(GcStep(i))
       /\ WF_vars(\E g \in 1..MaxGarbage, w \in BOOLEAN : Finish(i, g, w))

Symmetry == Permutations(Instances)

-----------------------------------------------------------------------------
(***************************************************************************)
(* A restore never overlaps an execution in that instance.                 *)
(***************************************************************************)
NoRestoreDuringExecution == \A i \in Instances : phase[i] = "restored" => running[i] = 0

(***************************************************************************)
(* Once written back, and whenever no GC is under way, the preserved state *)
(* is its latest value, including writes of executions that finished       *)
(* during the drain.                                                       *)
(***************************************************************************)
PreservedStateIntact ==
  \A i \in Instances : phase[i] \in {"written", "admitting"} => pres[i] = truePres[i]

(***************************************************************************)
(* Right after a restore the instance is S again, but for its identity.    *)
(***************************************************************************)
CleanAfterRestore ==
  \A i \in Instances :
    phase[i] = "restored" =>
      /\ garbage[i] = 0 /\ heap[i] = "S" /\ pres[i] = 0 /\ connInst[i] = "none"

GarbageBounded == \A i \in Instances : garbage[i] <= GarbageMax

(***************************************************************************)
(* After an instance resumes, its connection is open at both ends or at    *)
(* neither.                                                                *)
(***************************************************************************)
NoHalfOpenConnection ==
  \A i \in Instances :
    phase[i] = "admitting" => ((connInst[i] = "open") <=> (connPeer[i] = "open"))

EffectsOnce == applied <= 1 /\ attempt <= MaxAttempts

(***************************************************************************)
(* Launched instances have a generation and entropy of their own, never   *)
(* S's and never another instance's.                                       *)
(***************************************************************************)
UniqueAfterRestore ==
  \A i, j \in Instances :
    /\ phase[i] # "none" => gen[i] # 0 /\ entropy[i] # 0
    /\ (i # j /\ phase[i] # "none" /\ phase[j] # "none") => entropy[i] # entropy[j]

(***************************************************************************)
(* An instance over its threshold is eventually restored and admits again. *)
(***************************************************************************)
RestoredEventually ==
  \A i \in Instances :
    (garbage[i] >= Threshold) ~> (phase[i] = "admitting" /\ garbage[i] = 0)

AdmissionsResume ==
  \A i \in Instances : (phase[i] \notin {"none", "admitting"}) ~> (phase[i] = "admitting")

\* Tracing data is the host's: it never goes back, restores included.
TracingCarried == [][tracing' >= tracing]_vars

THEOREM Spec => [](TypeOK /\ NoRestoreDuringExecution /\ PreservedStateIntact
                   /\ CleanAfterRestore /\ GarbageBounded /\ NoHalfOpenConnection
                   /\ EffectsOnce /\ UniqueAfterRestore)
THEOREM LiveSpec => RestoredEventually /\ AdmissionsResume
=============================================================================
