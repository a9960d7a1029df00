----------------------------- MODULE MinorityQuorum -----------------------------
(***************************************************************************)
(* Multi-decree Paxos of ONE consensus group, in the style of Lamport's   *)
(* Paxos.tla extended to a log of slots.  Phase 1 runs once per ballot    *)
(* over every slot; phase 2 runs per slot.  Messages live in a set msgs   *)
(* that only grows, so any message may be delivered any number of times,  *)
(* in any order, or never (loss, duplication, reordering).                *)
(*                                                                         *)
(* Reconfiguration (US10733201B1): the group has a fixed TARGET            *)
(* membership Members.  It starts with only a majority of it active and   *)
(* grows by Join(m); quorums are always majorities of the target set, so  *)
(* a group of 2 active members out of 3 needs both.  A joining member     *)
(* starts with empty acceptor state and catches up by learning chosen     *)
(* entries (Apply).  Safety is then plain Paxos.                          *)
(*                                                                         *)
(* Acceptor state (maxBal, accepted) is durable: a member that crashes    *)
(* and restarts keeps it and, since msgs loses nothing, a crash is        *)
(* indistinguishable from a pause; it is therefore not modelled.          *)
(*                                                                         *)
(* Seeds: US12216679B2 / US20190258646A1 (per-group consensus under the    *)
(* transaction layer), US10733201B1 (start below target size, then grow). *)
(* The pool of ready groups (US10452681B1) is code only (src/consensus/   *)
(* pool.ts): a ready group is one of these with a no-op chosen.           *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

CONSTANTS
  Members,   \* the target membership of the group
  Values,    \* the entries clients may propose
  None,      \* model value: no value accepted
  NumSlots,  \* slots are 1..NumSlots
  MaxBallot, \* ballots are 0..MaxBallot
  MaxMsgs    \* model-checking bound on the number of distinct messages

Slots == 1..NumSlots
Ballots == 0..MaxBallot

(***************************************************************************)
(* A quorum is a majority of the target membership, active or not.        *)
(***************************************************************************)
Quorum == {Q \in SUBSET Members : Cardinality(Q) >= Cardinality(Members) \div 2} \* BUG 6

(***************************************************************************)
(* What an acceptor holds for a slot: the ballot and value it last        *)
(* accepted there, or ballot -1 and None.                                 *)
(***************************************************************************)
Vote == [bal : Ballots \cup {-1}, val : Values \cup {None}]
NoVote == [bal |-> -1, val |-> None]

Messages ==
       [type : {"1a"}, bal : Ballots]
  \cup [type : {"1b"}, acc : Members, bal : Ballots, votes : [Slots -> Vote]]
  \cup [type : {"2a"}, bal : Ballots, slot : Slots, val : Values]
  \cup [type : {"2b"}, acc : Members, bal : Ballots, slot : Slots, val : Values]

VARIABLES
  active,   \* the members running so far (a majority at first, then joins)
  proposed, \* the values clients have proposed
  maxBal,   \* maxBal[a]: the highest ballot a promised or accepted in (durable)
  accepted, \* accepted[a][s]: a's vote in slot s (durable)
  msgs,     \* every message ever sent
  log       \* log[a]: the entries a applied to its replica, in slot order

vars == <<active, proposed, maxBal, accepted, msgs, log>>

(***************************************************************************)
(* The types of the variables.                                             *)
(***************************************************************************)
TypeOK ==
  /\ active \subseteq Members
  /\ proposed \subseteq Values
  /\ maxBal \in [Members -> Ballots \cup {-1}]
  /\ accepted \in [Members -> [Slots -> Vote]]
  /\ msgs \subseteq Messages
  /\ log \in [Members -> Seq(Values)]
  /\ \A a \in Members : Len(log[a]) <= NumSlots

(***************************************************************************)
(* Any majority of the target is active; nothing promised, accepted,      *)
(* proposed, sent or applied.                                              *)
(***************************************************************************)
Init ==
  /\ active \in {Q \in SUBSET Members : Cardinality(Q) = Cardinality(Members) \div 2 + 1}
  /\ proposed = {}
  /\ maxBal = [a \in Members |-> -1]
  /\ accepted = [a \in Members |-> [s \in Slots |-> NoVote]]
  /\ msgs = {}
  /\ log = [a \in Members |-> << >>]

Send(m) == msgs' = msgs \cup {m}

(***************************************************************************)
(* A client proposes v.                                                    *)
(***************************************************************************)
Propose(v) ==
  /\ v \notin proposed
  /\ proposed' = proposed \cup {v}
  /\ UNCHANGED <<active, maxBal, accepted, msgs, log>>

(***************************************************************************)
(* The proposer owning ballot b starts phase 1 for every slot.            *)
(***************************************************************************)
Phase1a(b) ==
  /\ ~\E m \in msgs : m.type = "1a" /\ m.bal = b
  /\ Send([type |-> "1a", bal |-> b])
  /\ UNCHANGED <<active, proposed, maxBal, accepted, log>>

(***************************************************************************)
(* Active acceptor a promises ballot m.bal, above any it promised, and    *)
(* reports its votes in every slot.                                        *)
(***************************************************************************)
Phase1b(a, m) ==
  /\ a \in active
  /\ m.type = "1a"
  /\ m.bal > maxBal[a]
  /\ maxBal' = [maxBal EXCEPT ![a] = m.bal]
  /\ Send([type |-> "1b", acc |-> a, bal |-> m.bal, votes |-> accepted[a]])
  /\ UNCHANGED <<active, proposed, accepted, log>>

(***************************************************************************)
(* The 1b messages of ballot b from the members of Q, if every member of  *)
(* Q sent one.                                                             *)
(***************************************************************************)
Promises(b, Q) == {m \in msgs : m.type = "1b" /\ m.bal = b /\ m.acc \in Q}
PromisedBy(b, Q) == \A a \in Q : \E m \in Promises(b, Q) : m.acc = a

(***************************************************************************)
(* v is safe to propose in slot s at ballot b given the promises of Q:    *)
(* the value of the highest-ballot vote they report for s, or, if none    *)
(* reports one, any proposed value.                                       *)
(***************************************************************************)
SafeValue(b, Q, s, v) ==
  LET voted == {m \in Promises(b, Q) : m.votes[s].bal >= 0}
  IN  IF voted = {} THEN v \in proposed
      ELSE \E m \in voted : /\ m.votes[s].val = v
                            /\ \A mm \in voted : mm.votes[s].bal <= m.votes[s].bal

(***************************************************************************)
(* The proposer of ballot b, holding promises from a quorum, asks the     *)
(* acceptors to accept a safe value v in slot s (once per ballot, slot).  *)
(***************************************************************************)
Phase2a(b, s, v) ==
  /\ ~\E m \in msgs : m.type = "2a" /\ m.bal = b /\ m.slot = s
  /\ \E Q \in Quorum : PromisedBy(b, Q) /\ SafeValue(b, Q, s, v)
  /\ Send([type |-> "2a", bal |-> b, slot |-> s, val |-> v])
  /\ UNCHANGED <<active, proposed, maxBal, accepted, log>>

(***************************************************************************)
(* Active acceptor a accepts the 2a message m unless it promised a higher *)
(* ballot; the vote is durable before the 2b leaves.                      *)
(***************************************************************************)
Phase2b(a, m) ==
  /\ a \in active
  /\ m.type = "2a"
  /\ m.bal >= maxBal[a]
  /\ maxBal' = [maxBal EXCEPT ![a] = m.bal]
  /\ accepted' = [accepted EXCEPT ![a][m.slot] = [bal |-> m.bal, val |-> m.val]]
  /\ Send([type |-> "2b", acc |-> a, bal |-> m.bal, slot |-> m.slot, val |-> m.val])
  /\ UNCHANGED <<active, proposed, log>>

(***************************************************************************)
(* v is chosen in slot s: a quorum accepted it there in one ballot.       *)
(***************************************************************************)
ChosenIn(s, v) ==
  \E b \in Ballots, Q \in Quorum :
    \A a \in Q : \E m \in msgs : /\ m.type = "2b" /\ m.acc = a /\ m.bal = b
                                 /\ m.slot = s /\ m.val = v

(***************************************************************************)
(* Active member a learns the value chosen in its next slot and applies   *)
(* it to its replica.                                                      *)
(***************************************************************************)
Apply(a) ==
  /\ a \in active
  /\ Len(log[a]) < NumSlots
  /\ \E v \in Values :
       /\ ChosenIn(Len(log[a]) + 1, v)
       /\ log' = [log EXCEPT ![a] = Append(log[a], v)]
  /\ UNCHANGED <<active, proposed, maxBal, accepted, msgs>>

(***************************************************************************)
(* Target member a, not yet running, joins with empty acceptor state.     *)
(***************************************************************************)
Join(a) ==
  /\ a \in Members \ active
  /\ active' = active \cup {a}
  /\ UNCHANGED <<proposed, maxBal, accepted, msgs, log>>

Next ==
  \/ \E v \in Values : Propose(v)
  \/ \E b \in Ballots : Phase1a(b)
  \/ \E a \in Members, m \in msgs : Phase1b(a, m) \/ Phase2b(a, m)
  \/ \E b \in Ballots, s \in Slots, v \in Values : Phase2a(b, s, v)
  \/ \E a \in Members : Apply(a) \/ Join(a)

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* Members never apply different entries at the same slot.                *)
(***************************************************************************)
Agreement ==
  \A a1, a2 \in Members :
    \A i \in 1..Len(log[a1]) : i <= Len(log[a2]) => log[a1][i] = log[a2][i]

(***************************************************************************)
(* Every applied entry was proposed.                                      *)
(***************************************************************************)
AppliedWereProposed ==
  \A a \in Members : \A i \in 1..Len(log[a]) : log[a][i] \in proposed

(***************************************************************************)
(* State constraint of the model-checking configurations.                 *)
(***************************************************************************)
MsgBound == Cardinality(msgs) <= MaxMsgs

Symmetry == Permutations(Members) \cup Permutations(Values)

THEOREM Spec => [](TypeOK /\ Agreement /\ AppliedWereProposed)
=============================================================================
