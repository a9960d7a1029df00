-------------------------- MODULE MCCrossGroupTxn --------------------------
(***************************************************************************)
(* The bank-transfer workload for TLC: up to three groups with one account *)
(* each and three transfers.  t1 (a1 -> a2) and t2 (a2 -> a1) move money   *)
(* in opposite directions over g1 and g2 (they conflict on both accounts); *)
(* t3 takes from a1 and a2 and pays a3, so it spans all three groups (a    *)
(* majority of its groups differs from all of them).  The configs pick     *)
(* the groups and transfers: CrossGroupTxn.cfg (CI), CrossGroupTxnLive.cfg,*)
(* CrossGroupTxnReplay.cfg, CrossGroupTxnDeep.cfg.                         *)
(***************************************************************************)
EXTENDS CrossGroupTxn

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
