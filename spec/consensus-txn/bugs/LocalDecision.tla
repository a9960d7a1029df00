--------------------------- MODULE LocalDecision ---------------------------
(***************************************************************************)
(* Transactions across consensus groups, over ABSTRACT per-group consensus *)
(* (an atomic choice per log slot: Choose(g, e) appends e to g's chosen    *)
(* log).  One group's Paxos is GroupPaxos.tla; here a chosen entry is      *)
(* simply there, in one order, forever.                                    *)
(*                                                                         *)
(* Seeds: US12216679B2 / US20190258646A1 (a proposer proposes a            *)
(* transaction to several consensus groups; a majority of each group       *)
(* agrees to it, the transaction being selected among the transactions     *)
(* proposed to that group; the members apply it to their replicas).        *)
(*                                                                         *)
(* The protocol is Gray and Lamport's Paxos Commit with every resource     *)
(* manager's instance replaced by a consensus group's log: a proposer gets *)
(* Prepare(t) chosen in every group of t.  The FIRST entry about t in a    *)
(* group's log decides that group's vote, computed when the entry is       *)
(* applied in log order: Prepared if t touches no key of a transaction the *)
(* group holds prepared and undecided (t's keys are then locked), Aborted  *)
(* otherwise.  A recovering proposer appends AbortVote(t) where no vote is *)
(* chosen yet (a group whose first t-entry is that votes Aborted; a later  *)
(* Prepare(t) is ignored).  t commits iff every group of t voted Prepared, *)
(* and since the votes are chosen (durable) entries, ANY proposer computes *)
(* the same decision: Commit(t) or Abort(t) is chosen in every group of t, *)
(* which applies t's deltas (or not) and releases t's locks.               *)
(*                                                                         *)
(* Workload: bank transfers.  Accounts live in groups (Home); Ops[t] maps  *)
(* the accounts t touches to deltas summing to 0.                          *)
(***************************************************************************)
EXTENDS Naturals, Integers, Sequences, FiniteSets, TLC

CONSTANTS
  Groups,    \* the consensus groups
  Proposers, \* the proposers (transaction coordinators), competing
  Txns,      \* the transactions clients may submit
  Accounts,  \* the keys: bank accounts
  Home,      \* Home[a]: the group that stores account a
  Ops,       \* Ops[t]: [accounts of t -> delta], the deltas sum to 0
  InitBal,   \* InitBal[a]: the initial balance of account a
  None       \* model value: no owner

ASSUME Home \in [Accounts -> Groups]
ASSUME \A t \in Txns : DOMAIN Ops[t] \subseteq Accounts /\ DOMAIN Ops[t] # {}

VARIABLES
  log,   \* log[g]: the entries chosen in group g, in slot order (durable, replicated)
  rep,   \* rep[g]: the replica state of g: the result of applying log[g] in order
  owner, \* owner[t]: the proposer the client gave t to, or None
  alive, \* alive[p]: proposer p is running (a crashed proposer stays down)
  told   \* told[t]: what t's client was told: "none", "committed" or "aborted"

vars == <<log, rep, owner, alive, told>>

Votes == {"none", "prepared", "aborted"}
Decs == {"none", "commit", "abort"}
EntryTypes == {"Prepare", "AbortVote", "Commit", "Abort"}
Entry == [type : EntryTypes, txn : Txns]
Replica == [vote : [Txns -> Votes], dec : [Txns -> Decs], locked : SUBSET Txns,
            bal : [Accounts -> Int]]

GroupsOf(t) == {Home[a] : a \in DOMAIN Ops[t]}
(***************************************************************************)
(* The groups transaction t touches.                                       *)
(***************************************************************************)

Keys(t, g) == {a \in DOMAIN Ops[t] : Home[a] = g}
(***************************************************************************)
(* The accounts of t that group g stores.                                  *)
(***************************************************************************)

E(type, t) == [type |-> type, txn |-> t]

InLog(g, type, t) == \E i \in 1..Len(log[g]) : log[g][i] = E(type, t)

Pos(g, type, t) == CHOOSE i \in 1..Len(log[g]) : log[g][i] = E(type, t)
(***************************************************************************)
(* The slot of an entry chosen in g (an entry is chosen at most once).     *)
(***************************************************************************)

LockedKeys(g, r) == UNION {Keys(u, g) : u \in r.locked}
(***************************************************************************)
(* The keys g holds locked: those of its prepared, undecided transactions. *)
(***************************************************************************)

ApplyPrepare(g, r, t) ==
  IF r.vote[t] # "none" THEN r
  ELSE IF Keys(t, g) \cap LockedKeys(g, r) = {}
       THEN [r EXCEPT !.vote[t] = "prepared", !.locked = @ \cup {t}]
       ELSE [r EXCEPT !.vote[t] = "aborted"]
(***************************************************************************)
(* A group's vote is decided by its first entry about t: Prepared (and     *)
(* t's keys locked) unless t conflicts with a prepared-undecided t.        *)
(***************************************************************************)

ApplyDecision(g, r, t, d) ==
  IF r.dec[t] # "none" THEN r
  ELSE [r EXCEPT
          !.dec[t] = d,
          !.locked = @ \ {t},
          !.bal = [a \in Accounts |->
                     IF d = "commit" /\ a \in Keys(t, g) THEN @[a] + Ops[t][a] ELSE @[a]]]
(***************************************************************************)
(* Commit applies t's deltas to g's accounts; both release t's locks.      *)
(***************************************************************************)

Apply(g, r, e) ==
  CASE e.type = "Prepare"   -> ApplyPrepare(g, r, e.txn)
    [] e.type = "AbortVote" ->
         IF r.vote[e.txn] # "none" THEN r ELSE [r EXCEPT !.vote[e.txn] = "aborted"]
    [] e.type = "Commit"    -> ApplyDecision(g, r, e.txn, "commit")
    [] e.type = "Abort"     -> ApplyDecision(g, r, e.txn, "abort")
(***************************************************************************)
(* The replicated state machine of a group: deterministic, so every member *)
(* that applies the same log gets the same replica.                        *)
(***************************************************************************)

InitReplica == [vote |-> [t \in Txns |-> "none"], dec |-> [t \in Txns |-> "none"],
                locked |-> {}, bal |-> InitBal]

RECURSIVE Replay(_, _)
Replay(g, s) == IF s = <<>> THEN InitReplica
                ELSE Apply(g, Replay(g, SubSeq(s, 1, Len(s) - 1)), s[Len(s)])
(***************************************************************************)
(* The replica any member reaches by applying the chosen log s in order.   *)
(***************************************************************************)

TypeOK ==
  /\ log \in [Groups -> Seq(Entry)]
  /\ rep \in [Groups -> Replica]
  /\ owner \in [Txns -> Proposers \cup {None}]
  /\ alive \in [Proposers -> BOOLEAN]
  /\ told \in [Txns -> {"none", "committed", "aborted"}]

Init ==
  /\ log = [g \in Groups |-> <<>>]
  /\ rep = [g \in Groups |-> InitReplica]
  /\ owner = [t \in Txns |-> None]
  /\ alive = [p \in Proposers |-> TRUE]
  /\ told = [t \in Txns |-> "none"]

-----------------------------------------------------------------------------
(***************************************************************************)
(*                    Abstract consensus, and the proposers                *)
(***************************************************************************)

Choose(g, e) ==
  /\ log' = [log EXCEPT ![g] = Append(@, e)]
  /\ rep' = [rep EXCEPT ![g] = Apply(g, @, e)]
(***************************************************************************)
(* Group g chooses entry e in its next slot and its members apply it.      *)
(* Competing proposals for one slot are the interleaving of Choose steps.  *)
(***************************************************************************)

Known(t) == \E g \in Groups : InLog(g, "Prepare", t)
(***************************************************************************)
(* Some group chose Prepare(t): t's description (groups, ops) is in a      *)
(* chosen entry, so any proposer can learn it and finish t.                *)
(***************************************************************************)

AllVoted(t) == \A g \in GroupsOf(t) : rep[g].vote[t] # "none"

AllPrepared(t) == \A g \in GroupsOf(t) : rep[g].vote[t] = "prepared"

Outcome(p, t) == \* BUG 2: plain 2PC: only t's proposer knows the decision; others abort
  IF p = owner[t] /\ AllPrepared(t) THEN "Commit" ELSE "Abort"
(***************************************************************************)
(* The decision any proposer p computes from the chosen votes of t.        *)
(***************************************************************************)

Begin(p, t) ==
  /\ alive[p] /\ owner[t] = None
  /\ owner' = [owner EXCEPT ![t] = p]
  /\ UNCHANGED <<log, rep, alive, told>>
(***************************************************************************)
(* A client gives t to proposer p.                                         *)
(***************************************************************************)

Prepare(p, t, g) ==
  /\ owner[t] = p /\ g \in GroupsOf(t)
  /\ rep[g].vote[t] = "none"
  /\ Choose(g, E("Prepare", t))
  /\ UNCHANGED <<owner, alive, told>>
(***************************************************************************)
(* Group g chooses the Prepare(t) that t's proposer p sent it (p sends     *)
(* Prepare(t) to every group of t when the client gives it t, and again on *)
(* retries; it stops once it learns the group's vote).  No alive[p] and no *)
(* "p has not given up": a proposal sent before p crashed, or before p     *)
(* gave up and proposed AbortVote(t), may still reach the group and be     *)
(* chosen later on a real network.                                         *)
(***************************************************************************)

AbortVote(p, t, g) ==
  /\ alive[p] /\ Known(t) /\ g \in GroupsOf(t)
  /\ rep[g].vote[t] = "none"
  /\ Choose(g, E("AbortVote", t))
  /\ UNCHANGED <<owner, alive, told>>
(***************************************************************************)
(* A recovering proposer (any proposer that suspects t's proposer died,  *)
(* or t's own after its client's deadline) gets AbortVote(t) chosen in a   *)
(* group that has no vote for t yet.                                       *)
(***************************************************************************)

Decide(p, t, g) ==
  /\ alive[p] /\ (owner[t] = p \/ Known(t)) /\ g \in GroupsOf(t)
  /\ AllVoted(t)
  /\ rep[g].dec[t] = "none"
  /\ Choose(g, E(Outcome(p, t), t))
  /\ UNCHANGED <<owner, alive, told>>
(***************************************************************************)
(* Once every group of t chose its vote, any proposer gets the decision    *)
(* chosen in a group of t that has none yet.                               *)
(***************************************************************************)

Tell(p, t) ==
  /\ alive[p] /\ owner[t] = p /\ told[t] = "none"
  /\ \/ /\ \A g \in GroupsOf(t) : InLog(g, "Commit", t)
        /\ told' = [told EXCEPT ![t] = "committed"]
     \/ /\ \E g \in GroupsOf(t) : InLog(g, "Abort", t) \/ rep[g].vote[t] = "aborted"
        /\ told' = [told EXCEPT ![t] = "aborted"]
  /\ UNCHANGED <<log, rep, owner, alive>>
(***************************************************************************)
(* t's proposer answers the client: committed once Commit(t) is chosen in  *)
(* every group of t, aborted once Abort(t) is chosen in one or one group's *)
(* chosen vote is Aborted (the votes then fix Abort: the client learns it  *)
(* without waiting for every other group's vote).                          *)
(***************************************************************************)

Crash(p) ==
  /\ alive[p] /\ \E q \in Proposers \ {p} : alive[q]
  /\ alive' = [alive EXCEPT ![p] = FALSE]
  /\ UNCHANGED <<log, rep, owner, told>>
(***************************************************************************)
(* Proposer p dies (its memory is lost; one proposer always stays up).     *)
(***************************************************************************)

ProposerStep(p) ==
  \E t \in Txns : \/ Tell(p, t)
                  \/ \E g \in Groups : Prepare(p, t, g) \/ AbortVote(p, t, g) \/ Decide(p, t, g)

Next ==
  \E p \in Proposers : \/ ProposerStep(p) \/ Crash(p) \/ \E t \in Txns : Begin(p, t)

Spec == Init /\ [][Next]_vars

LiveSpec == Spec /\ \A p \in Proposers : WF_vars(ProposerStep(p))
(***************************************************************************)
(* Weak fairness for every proposer's protocol steps (not for Begin, not   *)
(* for Crash).  Consensus is abstract, so competing proposers cannot       *)
(* livelock here: "eventually one proposer alone" is GroupPaxos's          *)
(* condition for a slot to be chosen at all.                               *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                               Properties                                *)
(***************************************************************************)

Atomicity ==
  \A t \in Txns : \A g, h \in GroupsOf(t) :
    ~(rep[g].dec[t] = "commit" /\ rep[h].dec[t] = "abort")
(***************************************************************************)
(* No transaction is committed in one group and aborted in another.        *)
(***************************************************************************)

CommitNeedsAllVotes ==
  \A t \in Txns : (\E g \in GroupsOf(t) : rep[g].dec[t] = "commit") => AllPrepared(t)
(***************************************************************************)
(* A commit anywhere implies every group of t chose the vote Prepared.     *)
(***************************************************************************)

Agreement == \A g \in Groups : Replay(g, log[g]) = rep[g]
(***************************************************************************)
(* Per group, the replica equals what applying the chosen log in order     *)
(* gives, so members that apply the same log agree slot by slot.  That     *)
(* members apply the same log (one value per slot) is GroupPaxos's job.    *)
(***************************************************************************)

CommitBefore(t, u, g) ==
  /\ InLog(g, "Commit", t) /\ InLog(g, "Commit", u)
  /\ Pos(g, "Commit", t) < Pos(g, "Commit", u)

Prec == {<<t, u>> \in Txns \X Txns :
           t # u /\ \E a \in DOMAIN Ops[t] \cap DOMAIN Ops[u] : CommitBefore(t, u, Home[a])}
(***************************************************************************)
(* The precedence graph of committed transactions: t before u when they    *)
(* share an account whose group committed t first.                         *)
(***************************************************************************)

RECURSIVE Closure(_, _)
Closure(R, n) ==
  IF n = 0 THEN R
  ELSE Closure(R \cup {<<t, v>> \in Txns \X Txns : \E u \in Txns : <<t, u>> \in R /\ <<u, v>> \in R},
               n - 1)

Serializable == \A t \in Txns : <<t, t>> \notin Closure(Prec, Cardinality(Txns))
(***************************************************************************)
(* The commit order is acyclic: committed transactions can be put in one   *)
(* serial order that every group's log agrees with.                        *)
(***************************************************************************)

DurableCommit ==
  \A t \in Txns : told[t] = "committed" =>
    \A g \in GroupsOf(t) : InLog(g, "Commit", t) /\ rep[g].dec[t] = "commit"
(***************************************************************************)
(* A client told "committed" has Commit(t) chosen in every group of t.     *)
(* Chosen entries sit on a majority of members, so losing any minority of  *)
(* any group loses nothing of it (GroupPaxos's Consensus refinement).      *)
(***************************************************************************)

AbortedNeverCommits ==
  \A t \in Txns : told[t] = "aborted" => \A g \in GroupsOf(t) : rep[g].dec[t] # "commit"
(***************************************************************************)
(* A client told "aborted" has a transaction no group commits, ever.       *)
(***************************************************************************)

InFlight ==
  LET pend == {<<t, a>> \in Txns \X Accounts :
                 /\ a \in DOMAIN Ops[t]
                 /\ \E g \in GroupsOf(t) : rep[g].dec[t] = "commit"
                 /\ rep[Home[a]].dec[t] = "none"}
      RECURSIVE S(_)
      S(P) == IF P = {} THEN 0
              ELSE LET y == CHOOSE z \in P : TRUE IN Ops[y[1]][y[2]] + S(P \ {y})
  IN S(pend)
(***************************************************************************)
(* Deltas of transactions committed somewhere but not yet in every group. *)
(***************************************************************************)

RECURSIVE SumBal(_)
SumBal(A) == IF A = {} THEN 0
             ELSE LET b == CHOOSE c \in A : TRUE IN rep[Home[b]].bal[b] + SumBal(A \ {b})

RECURSIVE SumInit(_)
SumInit(A) == IF A = {} THEN 0
              ELSE LET b == CHOOSE c \in A : TRUE IN InitBal[b] + SumInit(A \ {b})

Conservation == SumBal(Accounts) + InFlight = SumInit(Accounts)
(***************************************************************************)
(* The sum of balances over all groups, counting the deltas of committed   *)
(* transfers not yet applied everywhere, stays the initial sum.            *)
(***************************************************************************)

Decided(t) == \A g \in GroupsOf(t) : rep[g].dec[t] # "none"

AllDecided == \A t \in Txns : Known(t) ~> Decided(t)
(***************************************************************************)
(* Liveness: every proposed transaction (Prepare chosen somewhere) is      *)
(* decided in every group it touches.                                      *)
(***************************************************************************)

Symmetry == Permutations(Proposers)

THEOREM Spec => [](TypeOK /\ Atomicity /\ CommitNeedsAllVotes /\ Agreement /\ Serializable
                        /\ DurableCommit /\ AbortedNeverCommits /\ Conservation)
THEOREM LiveSpec => AllDecided
-----------------------------------------------------------------------------
\* The bank-transfer workload of MCCrossGroupTxn.tla:

MCGroups == {"g1", "g2", "g3"}
MCAccounts == {"a1", "a2", "a3"}
MCHome == ("a1" :> "g1") @@ ("a2" :> "g2") @@ ("a3" :> "g3")
MCInitBal == [a \in MCAccounts |-> 2]
MCTxns3 == {"t1", "t2", "t3"}
MCTxns2 == {"t1", "t2"}
MCTxns23 == {"t2", "t3"}
MCTxns1 == {"t1"}
MCTxnsT3 == {"t3"}
MCGroups2 == {"g1", "g2"}
MCAccounts2 == {"a1", "a2"}
MCInitBal2 == [a \in MCAccounts2 |-> 2]
MCHome2 == ("a1" :> "g1") @@ ("a2" :> "g2")
MCOps ==
     ("t1" :> (("a1" :> -1) @@ ("a2" :> 1)))
  @@ ("t2" :> (("a2" :> -1) @@ ("a1" :> 1)))
  @@ ("t3" :> (("a1" :> -1) @@ ("a2" :> -1) @@ ("a3" :> 2)))
=============================================================================
