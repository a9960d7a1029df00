----------------------------- MODULE Consensus -----------------------------
(***************************************************************************)
(* The service a consensus group provides: a log of slots, each of which  *)
(* ends up holding at most one chosen value, and only a value some client *)
(* proposed.  This is Lamport's Consensus extended to a sequence of slots  *)
(* and with the proposals made explicit.  GroupPaxos refines it (checked  *)
(* by TLC with MCGroupPaxos).                                              *)
(*                                                                         *)
(* Seeds: US12216679B2 / US20190258646A1 (each group agrees on the        *)
(* transactions proposed to it, entry by entry).                           *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
  Values, \* the entries clients may propose
  Slots   \* the log positions of the group

VARIABLES
  proposed, \* the values clients have proposed so far
  chosen    \* chosen[s]: the set of values chosen in slot s (at most one)

vars == <<proposed, chosen>>

(***************************************************************************)
(* Proposals are values; a slot's chosen set holds at most one of them.   *)
(***************************************************************************)
TypeOK ==
  /\ proposed \subseteq Values
  /\ chosen \in [Slots -> SUBSET Values]

(***************************************************************************)
(* Nothing proposed, nothing chosen.                                       *)
(***************************************************************************)
Init ==
  /\ proposed = {}
  /\ chosen = [s \in Slots |-> {}]

(***************************************************************************)
(* A client proposes value v.                                              *)
(***************************************************************************)
Propose(v) ==
  /\ proposed' = proposed \cup {v}
  /\ UNCHANGED chosen

(***************************************************************************)
(* The group chooses the proposed value v for the still empty slot s.     *)
(***************************************************************************)
Choose(s, v) ==
  /\ chosen[s] = {}
  /\ v \in proposed
  /\ chosen' = [chosen EXCEPT ![s] = {v}]
  /\ UNCHANGED proposed

Next == (\E v \in Values : Propose(v)) \/ (\E s \in Slots, v \in Values : Choose(s, v))

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* At most one value per slot, and only a proposed one.                   *)
(***************************************************************************)
Consistent ==
  \A s \in Slots : Cardinality(chosen[s]) <= 1 /\ chosen[s] \subseteq proposed

THEOREM Spec => [](TypeOK /\ Consistent)
=============================================================================
