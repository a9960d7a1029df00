-------------------------- MODULE SmallFenceQuorum --------------------------
(***************************************************************************)
(* Fencing of block storage by epochs: head nodes, sled controllers and a  *)
(* credential issuer, for ONE extent of a volume.  Extents are independent *)
(* (no message, variable or quorum is shared between two extents), so the  *)
(* spec of a volume is a product of copies of this one.                    *)
(*                                                                         *)
(* Seeds: US10484015B2 (a sled controller performs a write only with a     *)
(* valid credential and tells a stale head node it is fenced off),         *)
(* US20170177401A1 (live migration: pause at the source, move storage      *)
(* access to the destination, resume there), US20190324812A1 (burst        *)
(* throttling; not modelled here: a throttled I/O is delayed, never lost,  *)
(* which the message set already allows), US11438411B2 (redundant          *)
(* networks; modelled as a network that loses, duplicates and reorders:    *)
(* messages are never removed from msgs, so any of them may be delivered   *)
(* any number of times in any order, or never).                            *)
(*                                                                         *)
(* The issuer grants credentials (extent, epoch, holder); the MAC makes    *)
(* them unforgeable, so the spec lets only the issuer create an epoch.  A  *)
(* new head fences F sleds, writes back the latest block it learned        *)
(* (repair), then serves.  A sled performs a write only if its epoch is at *)
(* least the highest epoch the sled has accepted; it answers Fenced        *)
(* otherwise.  A write is acknowledged once W sleds hold it; W + F > N.    *)
(*                                                                         *)
(* Blocks carry a version (epoch, seq): the epoch of the credential that   *)
(* wrote it and a sequence number that runs on across epochs (a repair     *)
(* writes the learned block back with the same seq under the new epoch).   *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, TLC

CONSTANTS
  Sleds,      \* the sled controllers holding a replica of the extent
  Heads,      \* the head nodes that may serve the extent
  W,          \* write quorum
  F,          \* fence quorum
  MaxEpoch,   \* bound on the issuer's epoch counter
  MaxSeq,     \* bound on the sequence number of client writes
  MaxCrashes, \* bound on the number of sled crashes
  Values,     \* the values clients write
  NoValue,    \* model value: the content of a block never written
  None,       \* model value: no pending write, no migration
  MaxMsgs     \* model-checking bound on the number of distinct messages

\* BUG 2: no ASSUME W + F > Cardinality(Sleds); the config sets W + F = N
ASSUME W \in 1..Cardinality(Sleds) /\ F \in 1..Cardinality(Sleds)

VARIABLES
  issuerEpoch, \* the issuer's epoch counter (durable)
  epoch,       \* epoch[h]: the epoch of h's credential, 0 before any
  phase,       \* phase[h]: where h is in the takeover / serving cycle
  fenced,      \* fenced[h]: the sleds that answered h's fence
  known,       \* known[h]: the latest block h learned or wrote
  pending,     \* pending[h]: the write h waits acks for, or None
  acks,        \* acks[h]: the sleds that acknowledged pending[h]
  maxEpoch,    \* maxEpoch[s]: the highest epoch sled s accepted (durable)
  block,       \* block[s]: the block stored by s (durable)
  up,          \* up[s]: sled s is running
  msgs,        \* every message ever sent
  migration,   \* the live migration under way, or None
  crashes,     \* the number of sled crashes so far (bound only)
  hiEpoch,     \* ghost: the highest epoch s ever accepted, crashes ignored
  performed,   \* ghost: performed[s]: [epoch, accepted] of each write s did
  acked        \* ghost: the writes acknowledged by a write quorum

heads == <<epoch, phase, fenced, known, pending, acks>>
sleds == <<maxEpoch, block, up>>
ghosts == <<hiEpoch, performed, acked>>
vars == <<issuerEpoch, heads, sleds, msgs, migration, crashes, ghosts>>

Epochs == 0..MaxEpoch
Seqs == 0..MaxSeq
Vals == Values \cup {NoValue}
Phases == {"idle", "fencing", "repairing", "serving", "paused", "stepped-down"}
Block == [epoch : Epochs, seq : Seqs, val : Vals]
Write == [seq : Seqs, val : Vals]
EmptyBlock == [epoch |-> 0, seq |-> 0, val |-> NoValue]

Message ==
       [type : {"Fence"}, head : Heads, epoch : Epochs]
  \cup [type : {"FenceAck"}, sled : Sleds, head : Heads, epoch : Epochs, block : Block]
  \cup [type : {"Write"}, head : Heads, epoch : Epochs, seq : Seqs, val : Vals]
  \cup [type : {"WriteAck"}, sled : Sleds, head : Heads, epoch : Epochs, seq : Seqs]
  \cup [type : {"Fenced"}, sled : Sleds, head : Heads, epoch : Epochs]
(***************************************************************************)
(* The wire messages.  Fence and Write go to every sled; the answers go to *)
(* the head named in them.  Fenced answers a Fence or a Write whose epoch  *)
(* is below the sled's maxEpoch.                                           *)
(***************************************************************************)

Newer(b, c) == b.epoch > c.epoch \/ (b.epoch = c.epoch /\ b.seq > c.seq)
(***************************************************************************)
(* Block b has a higher version (epoch, seq) than block c.                 *)
(***************************************************************************)

Max(b, c) == IF Newer(c, b) THEN c ELSE b

TypeOK ==
  /\ issuerEpoch \in Epochs
  /\ epoch \in [Heads -> Epochs]
  /\ phase \in [Heads -> Phases]
  /\ fenced \in [Heads -> SUBSET Sleds]
  /\ known \in [Heads -> Block]
  /\ pending \in [Heads -> Write \cup {None}]
  /\ acks \in [Heads -> SUBSET Sleds]
  /\ maxEpoch \in [Sleds -> Epochs]
  /\ block \in [Sleds -> Block]
  /\ up \in [Sleds -> BOOLEAN]
  /\ msgs \subseteq Message
  /\ migration \in [src : Heads, dst : Heads, granted : BOOLEAN] \cup {None}
  /\ crashes \in 0..MaxCrashes
  /\ hiEpoch \in [Sleds -> Epochs]
  /\ performed \in [Sleds -> SUBSET [epoch : Epochs, accepted : Epochs]]
  /\ acked \subseteq [holder : Heads, epoch : Epochs, seq : Seqs, val : Vals]
(***************************************************************************)
(* The type-correctness invariant.                                         *)
(***************************************************************************)

Init ==
  /\ issuerEpoch = 0
  /\ epoch = [h \in Heads |-> 0]
  /\ phase = [h \in Heads |-> "idle"]
  /\ fenced = [h \in Heads |-> {}]
  /\ known = [h \in Heads |-> EmptyBlock]
  /\ pending = [h \in Heads |-> None]
  /\ acks = [h \in Heads |-> {}]
  /\ maxEpoch = [s \in Sleds |-> 0]
  /\ block = [s \in Sleds |-> EmptyBlock]
  /\ up = [s \in Sleds |-> TRUE]
  /\ msgs = {}
  /\ migration = None
  /\ crashes = 0
  /\ hiEpoch = [s \in Sleds |-> 0]
  /\ performed = [s \in Sleds |-> {}]
  /\ acked = {}

-----------------------------------------------------------------------------
(***************************************************************************)
(*                          The issuer and takeover                        *)
(***************************************************************************)

TakeOver(h) ==
  /\ issuerEpoch < MaxEpoch
  /\ issuerEpoch' = issuerEpoch + 1
  /\ epoch' = [epoch EXCEPT ![h] = issuerEpoch + 1]
  /\ phase' = [phase EXCEPT ![h] = "fencing"]
  /\ fenced' = [fenced EXCEPT ![h] = {}]
  /\ known' = [known EXCEPT ![h] = EmptyBlock]
  /\ pending' = [pending EXCEPT ![h] = None]
  /\ acks' = [acks EXCEPT ![h] = {}]
  /\ msgs' = msgs \cup {[type |-> "Fence", head |-> h, epoch |-> issuerEpoch + 1]}
(***************************************************************************)
(* The issuer makes its counter durable at issuerEpoch + 1 and grants h a  *)
(* credential of that epoch; h starts fencing by sending Fence to every    *)
(* sled.                                                                   *)
(***************************************************************************)

Grant(h) ==
  /\ phase[h] \in {"idle", "stepped-down"}
  /\ TakeOver(h)
  /\ UNCHANGED <<sleds, migration, crashes, ghosts>>
(***************************************************************************)
(* An idle head, or one that stepped down, takes the extent over.          *)
(***************************************************************************)

IssuerRestart ==
  /\ UNCHANGED vars
(***************************************************************************)
(* The issuer crashes and restarts.  Its counter is durable and it keeps   *)
(* nothing else, so nothing changes (bug 3 loses the counter here).        *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                               Fencing                                   *)
(***************************************************************************)

SledFenceOn(s, m) ==
  /\ up[s]
  /\ m \in msgs /\ m.type = "Fence"
  /\ IF m.epoch >= maxEpoch[s]
       THEN /\ maxEpoch' = [maxEpoch EXCEPT ![s] = m.epoch]
            /\ hiEpoch' = [hiEpoch EXCEPT ![s] = IF m.epoch > @ THEN m.epoch ELSE @]
            /\ msgs' = msgs \cup {[type |-> "FenceAck", sled |-> s, head |-> m.head,
                                   epoch |-> m.epoch, block |-> block[s]]}
       ELSE /\ msgs' = msgs \cup {[type |-> "Fenced", sled |-> s, head |-> m.head,
                                   epoch |-> m.epoch]}
            /\ UNCHANGED <<maxEpoch, hiEpoch>>
  /\ UNCHANGED <<issuerEpoch, heads, block, up, migration, crashes, performed, acked>>
(***************************************************************************)
(* Sled s handles a Fence: if the epoch is not below its maxEpoch it makes *)
(* the epoch durable as its new maxEpoch, then answers with the block it   *)
(* stores; otherwise it answers Fenced.                                    *)
(***************************************************************************)

HeadFencedOn(h, m) ==
  /\ m \in msgs /\ m.type = "FenceAck"
  /\ m.head = h /\ m.epoch = epoch[h] /\ phase[h] = "fencing"
  /\ fenced' = [fenced EXCEPT ![h] = @ \cup {m.sled}]
  /\ known' = [known EXCEPT ![h] = Max(@, m.block)]
  /\ UNCHANGED <<issuerEpoch, epoch, phase, pending, acks, sleds, msgs, migration,
                 crashes, ghosts>>
(***************************************************************************)
(* Head h counts a sled's answer to its fence and keeps the newest block   *)
(* any answer carried.                                                     *)
(***************************************************************************)

Repair(h) ==
  /\ phase[h] = "fencing"
  /\ Cardinality(fenced[h]) >= F
  /\ phase' = [phase EXCEPT ![h] = "repairing"]
  /\ pending' = [pending EXCEPT ![h] = [seq |-> known[h].seq, val |-> known[h].val]]
  /\ acks' = [acks EXCEPT ![h] = {}]
  /\ msgs' = msgs \cup {[type |-> "Write", head |-> h, epoch |-> epoch[h],
                         seq |-> known[h].seq, val |-> known[h].val]}
  /\ UNCHANGED <<issuerEpoch, epoch, fenced, known, sleds, migration, crashes, ghosts>>
(***************************************************************************)
(* A fence quorum answered: h writes the newest block it learned back to   *)
(* the sleds under its own epoch.  It serves once a write quorum holds it. *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                                Writes                                   *)
(***************************************************************************)

ClientWrite(h, v) ==
  /\ phase[h] = "serving" /\ pending[h] = None
  /\ known[h].seq < MaxSeq
  /\ pending' = [pending EXCEPT ![h] = [seq |-> known[h].seq + 1, val |-> v]]
  /\ acks' = [acks EXCEPT ![h] = {}]
  /\ msgs' = msgs \cup {[type |-> "Write", head |-> h, epoch |-> epoch[h],
                         seq |-> known[h].seq + 1, val |-> v]}
  /\ UNCHANGED <<issuerEpoch, epoch, phase, fenced, known, sleds, migration, crashes,
                 ghosts>>
(***************************************************************************)
(* A client writes v through the serving head h, which sends the write,    *)
(* with its credential, to every sled.  One write at a time per head.      *)
(***************************************************************************)

SledWriteOn(s, m) ==
  /\ up[s]
  /\ m \in msgs /\ m.type = "Write"
  /\ LET b == [epoch |-> m.epoch, seq |-> m.seq, val |-> m.val]
     IN IF m.epoch >= maxEpoch[s]
          THEN /\ maxEpoch' = [maxEpoch EXCEPT ![s] = m.epoch]
               /\ hiEpoch' = [hiEpoch EXCEPT ![s] = IF m.epoch > @ THEN m.epoch ELSE @]
               /\ IF Newer(b, block[s])
                    THEN /\ block' = [block EXCEPT ![s] = b]
                         /\ performed' = [performed EXCEPT ![s] =
                                            @ \cup {[epoch |-> m.epoch,
                                                     accepted |-> hiEpoch[s]]}]
                    ELSE UNCHANGED <<block, performed>>
               /\ msgs' = msgs \cup {[type |-> "WriteAck", sled |-> s, head |-> m.head,
                                      epoch |-> m.epoch, seq |-> m.seq]}
          ELSE /\ msgs' = msgs \cup {[type |-> "Fenced", sled |-> s, head |-> m.head,
                                      epoch |-> m.epoch]}
               /\ UNCHANGED <<maxEpoch, hiEpoch, block, performed>>
  /\ UNCHANGED <<issuerEpoch, heads, up, migration, crashes, acked>>
(***************************************************************************)
(* Sled s handles a Write.  An epoch not below maxEpoch is accepted: the   *)
(* sled makes it its maxEpoch, stores the block if it is newer than the    *)
(* one it holds (a duplicate or older message changes nothing), then       *)
(* acknowledges.  A lower epoch is answered Fenced and nothing is written. *)
(***************************************************************************)

HeadAckOn(h, m) ==
  /\ m \in msgs /\ m.type = "WriteAck"
  /\ m.head = h /\ m.epoch = epoch[h] /\ phase[h] \in {"repairing", "serving"}
  /\ pending[h] # None /\ m.seq = pending[h].seq
  /\ IF Cardinality(acks[h] \cup {m.sled}) >= W
       THEN LET b == [epoch |-> epoch[h], seq |-> m.seq, val |-> pending[h].val]
            IN /\ acked' = acked \cup {[holder |-> h, epoch |-> epoch[h], seq |-> m.seq,
                                        val |-> pending[h].val]}
               /\ known' = [known EXCEPT ![h] = b]
               /\ pending' = [pending EXCEPT ![h] = None]
               /\ acks' = [acks EXCEPT ![h] = {}]
               /\ phase' = [phase EXCEPT ![h] = "serving"]
       ELSE /\ acks' = [acks EXCEPT ![h] = @ \cup {m.sled}]
            /\ UNCHANGED <<known, pending, phase, acked>>
  /\ UNCHANGED <<issuerEpoch, epoch, fenced, sleds, msgs, migration, crashes,
                 hiEpoch, performed>>
(***************************************************************************)
(* Head h counts an acknowledgement of its pending write.  The W-th one    *)
(* completes it: the write is acknowledged (to the client, or, for a       *)
(* repair, by h starting to serve).                                        *)
(***************************************************************************)

HeadFencedOffOn(h, m) ==
  /\ m \in msgs /\ m.type = "Fenced"
  /\ m.head = h /\ m.epoch = epoch[h]
  /\ phase[h] \in {"fencing", "repairing", "serving"}
  /\ phase' = [phase EXCEPT ![h] = "stepped-down"]
  /\ fenced' = [fenced EXCEPT ![h] = {}]
  /\ known' = [known EXCEPT ![h] = EmptyBlock]
  /\ pending' = [pending EXCEPT ![h] = None]
  /\ acks' = [acks EXCEPT ![h] = {}]
  /\ UNCHANGED <<issuerEpoch, epoch, sleds, msgs, migration, crashes, ghosts>>
(***************************************************************************)
(* A sled told h it is fenced off: h steps down; its pending write fails.  *)
(***************************************************************************)

CanRead(h) == phase[h] = "serving"
(***************************************************************************)
(* A head answers reads only once it serves, i.e. after its repair.        *)
(***************************************************************************)

ClientRead(h) ==
  /\ CanRead(h)
  /\ UNCHANGED vars
(***************************************************************************)
(* A client reads through h, which answers known[h].val.  A read changes   *)
(* no state; ReadsSeeLatestAck states what any read enabled here returns.  *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                              Faults                                     *)
(***************************************************************************)

SledCrash(s) ==
  /\ up[s] /\ crashes < MaxCrashes
  /\ up' = [up EXCEPT ![s] = FALSE]
  /\ crashes' = crashes + 1
  /\ UNCHANGED <<issuerEpoch, heads, maxEpoch, block, msgs, migration, ghosts>>
(***************************************************************************)
(* Sled s crashes.  maxEpoch and the block are durable; it keeps no other  *)
(* state for the extent.                                                   *)
(***************************************************************************)

SledRestart(s) ==
  /\ ~up[s]
  /\ up' = [up EXCEPT ![s] = TRUE]
  /\ UNCHANGED <<issuerEpoch, heads, maxEpoch, block, msgs, migration, crashes, ghosts>>
(***************************************************************************)
(* Sled s restarts from its durable state.                                 *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                           Live migration                                *)
(***************************************************************************)

MigratePause(src, dst) ==
  /\ migration = None /\ src # dst
  /\ phase[src] = "serving" /\ pending[src] = None
  /\ phase[dst] \in {"idle", "stepped-down"}
  /\ phase' = [phase EXCEPT ![src] = "paused"]
  /\ migration' = [src |-> src, dst |-> dst, granted |-> FALSE]
  /\ UNCHANGED <<issuerEpoch, epoch, fenced, known, pending, acks, sleds, msgs,
                 crashes, ghosts>>
(***************************************************************************)
(* Migration of the instance served by src to the host of dst starts: the  *)
(* instance is paused at the source, which stops all its I/O.              *)
(***************************************************************************)

MigrateGrant ==
  /\ migration # None /\ ~migration.granted
  /\ phase[migration.dst] \in {"idle", "stepped-down"}
  /\ TakeOver(migration.dst)
  /\ migration' = [migration EXCEPT !.granted = TRUE]
  /\ UNCHANGED <<sleds, crashes, ghosts>>
(***************************************************************************)
(* The source is paused, so the destination is granted a higher          *)
(* credential (which fences the source) and takes over; it resumes the     *)
(* instance when it serves.  The source stays paused: the instance moved.  *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(* The message-driven actions: an actor handles some message of msgs.      *)
(* TLC names an edge of the state graph by these operators; the message    *)
(* is the parameter m of the code's action of the same name.               *)
(***************************************************************************)
SledFence(s) == \E m \in msgs : SledFenceOn(s, m)
HeadFenced(h) == \E m \in msgs : HeadFencedOn(h, m)
SledWrite(s) == \E m \in msgs : SledWriteOn(s, m)
HeadAck(h) == \E m \in msgs : HeadAckOn(h, m)
HeadFencedOff(h) == \E m \in msgs : HeadFencedOffOn(h, m)

Next ==
  \/ \E h \in Heads : Grant(h)
  \/ IssuerRestart
  \/ \E s \in Sleds : SledFence(s)
  \/ \E h \in Heads : HeadFenced(h)
  \/ \E h \in Heads : Repair(h)
  \/ \E h \in Heads, v \in Values : ClientWrite(h, v)
  \/ \E s \in Sleds : SledWrite(s)
  \/ \E h \in Heads : HeadAck(h)
  \/ \E h \in Heads : HeadFencedOff(h)
  \/ \E h \in Heads : ClientRead(h)
  \/ \E s \in Sleds : SledCrash(s)
  \/ \E s \in Sleds : SledRestart(s)
  \/ \E src, dst \in Heads : MigratePause(src, dst)
  \/ MigrateGrant

SledStep(s) == SledFence(s) \/ SledWrite(s)
HeadStep(h) == Repair(h) \/ HeadFenced(h) \/ HeadAck(h) \/ HeadFencedOff(h)

Fairness ==
  /\ \A s \in Sleds : WF_vars(SledStep(s)) /\ WF_vars(SledRestart(s))
  /\ \A h \in Heads : WF_vars(HeadStep(h))
(***************************************************************************)
(* Weak fairness of every non-fault action: sleds restart and handle the   *)
(* messages they can, heads handle their answers.  Grants, client writes,  *)
(* crashes and migration are the environment's choice and are not fair.   *)
(***************************************************************************)

Spec == Init /\ [][Next]_vars
LiveSpec == Spec /\ Fairness

-----------------------------------------------------------------------------
(***************************************************************************)
(*                              Properties                                 *)
(***************************************************************************)

NoStaleWrite ==
  \A s \in Sleds : \A w \in performed[s] : w.epoch >= w.accepted
(***************************************************************************)
(* No sled performs a write of epoch e after it accepted an epoch above e, *)
(* crashes and restarts included.                                          *)
(***************************************************************************)

AckedWritesSurvive ==
  \A a \in acked :
    Cardinality({s \in Sleds : block[s].seq >= a.seq /\ block[s].epoch >= a.epoch}) >= W
(***************************************************************************)
(* An acknowledged write is held by a write quorum: W sleds hold it or a   *)
(* later write (seq runs on across epochs); no lower-epoch write replaced  *)
(* it there.                                                               *)
(***************************************************************************)

LatestVal ==
  IF acked = {} THEN NoValue
  ELSE (CHOOSE a \in acked : \A b \in acked :
          ~Newer([epoch |-> b.epoch, seq |-> b.seq], [epoch |-> a.epoch, seq |-> a.seq])).val
(***************************************************************************)
(* The value of the acknowledged write with the highest version.           *)
(***************************************************************************)

ReadsSeeLatestAck ==
  \A h \in Heads : (CanRead(h) /\ epoch[h] = issuerEpoch) => known[h].val = LatestVal
(***************************************************************************)
(* A read served by the current head (the holder of the highest epoch      *)
(* granted) returns the latest acknowledged value.                         *)
(***************************************************************************)

OneWriterPerEpoch ==
  \A a, b \in acked : a.epoch = b.epoch => a.holder = b.holder
(***************************************************************************)
(* Two holders never both get writes acknowledged under one epoch.         *)
(***************************************************************************)

MigrationExclusive ==
  migration # None =>
    ~(phase[migration.src] = "serving" /\ phase[migration.dst] = "serving")
(***************************************************************************)
(* The source and the destination of a migration never both serve.         *)
(***************************************************************************)

WriteCompletes ==
  \A h \in Heads :
    (pending[h] # None /\ epoch[h] = issuerEpoch)
      ~> ((phase[h] = "serving" /\ pending[h] = None) \/ epoch[h] < issuerEpoch)
(***************************************************************************)
(* A write (client write or repair) that the current head sent is          *)
(* eventually acknowledged (h serves with nothing pending), unless a later *)
(* takeover fences h.  A Fenced answer to the current head makes h step    *)
(* down with its write undone: that is not completion.                     *)
(***************************************************************************)

MsgBound == Cardinality(msgs) <= MaxMsgs
(***************************************************************************)
(* A state constraint for safety runs: explore behaviours that sent at     *)
(* most MaxMsgs distinct messages.                                         *)
(***************************************************************************)

Symmetry == Permutations(Sleds) \cup Permutations(Heads) \cup Permutations(Values)
(***************************************************************************)
(* Sleds, heads and values are interchangeable (safety checks only).       *)
(***************************************************************************)

THEOREM Spec => [](TypeOK /\ NoStaleWrite /\ AckedWritesSurvive /\ ReadsSeeLatestAck
                        /\ OneWriterPerEpoch /\ MigrationExclusive)
THEOREM LiveSpec => WriteCompletes
=============================================================================
