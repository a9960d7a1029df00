---------------------------- MODULE MCGroupPaxos ----------------------------
(***************************************************************************)
(* GroupPaxos refines Consensus.  The refinement mapping keeps proposed   *)
(* and defines chosen from the 2b messages: v is chosen in slot s when a  *)
(* quorum accepted it there in one ballot.  TLC checks the property       *)
(* ConsensusSpec, i.e. Spec => C!Spec, over GroupPaxos's behaviours.      *)
(***************************************************************************)
EXTENDS GroupPaxos

(***************************************************************************)
(* The abstract chosen set of each slot, computed from the messages.      *)
(***************************************************************************)
chosenBar == [s \in Slots |-> {v \in Values : ChosenIn(s, v)}]

C == INSTANCE Consensus WITH chosen <- chosenBar

ConsensusSpec == C!Spec

(***************************************************************************)
(* The abstract safety as an invariant too (cheaper to report a state).   *)
(***************************************************************************)
ChosenConsistent == C!Consistent

THEOREM Spec => ConsensusSpec
=============================================================================
