-------------------------- MODULE UnboundedProbing --------------------------
(***************************************************************************)
(* Finding, reusing, resetting and scoping sandboxes of a serverless       *)
(* platform.  Frontends place invocations on worker managers, which own up *)
(* to Capacity sandbox slots each; a sandbox is bound to one kind          *)
(* (function, version, tenant) and runs one request at a time.             *)
(*                                                                         *)
(* Seeds: US11144359B1 (placement: ask random worker managers for an idle  *)
(* sandbox, up to a resource threshold MaxProbes, then ask one to          *)
(* provision; explicit throttling when nobody can), US11604669B2 /         *)
(* US20210240509A1 (single-use sandboxes reset after every request),       *)
(* US11546324B1 (credentials scoped to one request in one sandbox),        *)
(* US20200057680A1 (a per-tenant concurrency limit moving between a floor  *)
(* and a maximum), US20190227849A1 (a request naming a sandbox),           *)
(* US09652306B1 (failed requests stored and re-driven), US11714682B1       *)
(* (reclaiming idle sandboxes).                                            *)
(*                                                                         *)
(* The actor of every request action is the request itself: each request  *)
(* is handled by one frontend, so two requests placed at once are two      *)
(* frontends racing.  Time is abstract: a keep-alive expiry is a Reclaim   *)
(* step, a request timeout a Timeout step, a credential's expiry its       *)
(* revocation at the end of the request.                                   *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets, TLC

CONSTANTS
  Workers,     \* the worker managers
  Capacity,    \* sandbox slots per worker manager
  Requests,    \* the invocations (request ids)
  Fn,          \* the one function name: kinds differ in version and tenant
  Versions,    \* the function's versions
  Tenants,     \* the tenants
  MaxProbes,   \* the seed's resource threshold: probes before provisioning
  MaxRetries,  \* failed attempts retried before the request is stored failed
  MaxRedrives, \* bound on re-drives from the failure store
  SingleUse,   \* TRUE: every sandbox is reset after every request
  LimitFloor,  \* the lowest per-tenant concurrency limit
  LimitMax,    \* the highest per-tenant concurrency limit
  None         \* model value: no sandbox, no request, no kind

ASSUME MaxProbes \in Nat /\ Capacity \in Nat \ {0} /\ MaxRetries \in Nat
ASSUME LimitFloor \in Nat \ {0} /\ LimitMax \in Nat /\ LimitFloor <= LimitMax
ASSUME SingleUse \in BOOLEAN

VARIABLES
  sbState,     \* sbState[s]: the lifecycle state of sandbox slot s
  sbKind,      \* sbKind[s]: the kind s was built for, or None
  sbReq,       \* sbReq[s]: the request s is reserved for or runs, or None
  used,        \* used[s]: requests that ran in s since its last reset
  rState,      \* rState[r]: where request r is
  kind,        \* kind[r]: the kind r invokes, None before it is accepted
  asked,       \* asked[r]: worker managers asked in this placement, in order
  probes,      \* probes[r]: probe-only asks in this placement
  sb,          \* sb[r]: the sandbox r holds, or None
  tries,       \* tries[r]: failed attempts of r so far (this drive)
  redrives,    \* redrives[r]: re-drives of r from the failure store
  store,       \* the failure store: requests stored failed
  creds,       \* the valid credentials [req, sb]
  limit,       \* limit[t]: tenant t's concurrency limit
  inflight,    \* inflight[t]: the limiter's count of t's admitted requests
  completions  \* ghost: completions[r]: times r completed

sandboxes == <<sbState, sbKind, sbReq, used>>
requests == <<rState, kind, asked, probes, sb, tries, redrives>>
vars == <<sandboxes, requests, store, creds, limit, inflight, completions>>

Kinds == [fn : {Fn}, ver : Versions, tenant : Tenants]
Slots == Workers \X (1..Capacity)
SbStates == {"Free", "Provisioning", "Idle", "Busy", "Releasing", "Resetting"}
RStates == {"new", "placing", "acquired", "running", "completed", "throttled", "failed"}
Active == {"placing", "acquired", "running"}
Ends == {"completed", "throttled", "failed"}
Asked(r) == {asked[r][i] : i \in 1..Len(asked[r])}
Tenant(r) == kind[r].tenant
Dec(n) == IF n > 0 THEN n - 1 ELSE 0
(***************************************************************************)
(* Dec is the limiter's saturating release: a count never goes below 0.    *)
(***************************************************************************)

TypeOK ==
  /\ sbState \in [Slots -> SbStates]
  /\ sbKind \in [Slots -> Kinds \cup {None}]
  /\ sbReq \in [Slots -> Requests \cup {None}]
  /\ used \in [Slots -> SUBSET Requests]
  /\ rState \in [Requests -> RStates]
  /\ kind \in [Requests -> Kinds \cup {None}]
  /\ \A r \in Requests : asked[r] \in Seq(Workers) /\ Len(asked[r]) <= Cardinality(Workers)
  /\ probes \in [Requests -> Nat]
  /\ sb \in [Requests -> Slots \cup {None}]
  /\ tries \in [Requests -> 0..MaxRetries]
  /\ redrives \in [Requests -> 0..MaxRedrives]
  /\ store \subseteq Requests
  /\ creds \subseteq [req : Requests, sb : Slots]
  /\ limit \in [Tenants -> LimitFloor..LimitMax]
  /\ inflight \in [Tenants -> 0..LimitMax]
  /\ completions \in [Requests -> 0..2]
(***************************************************************************)
(* The type-correctness invariant.                                         *)
(***************************************************************************)

Init ==
  /\ sbState = [s \in Slots |-> "Free"]
  /\ sbKind = [s \in Slots |-> None]
  /\ sbReq = [s \in Slots |-> None]
  /\ used = [s \in Slots |-> {}]
  /\ rState = [r \in Requests |-> "new"]
  /\ kind = [r \in Requests |-> None]
  /\ asked = [r \in Requests |-> <<>>]
  /\ probes = [r \in Requests |-> 0]
  /\ sb = [r \in Requests |-> None]
  /\ tries = [r \in Requests |-> 0]
  /\ redrives = [r \in Requests |-> 0]
  /\ store = {}
  /\ creds = {}
  /\ limit = [t \in Tenants |-> LimitFloor]
  /\ inflight = [t \in Tenants |-> 0]
  /\ completions = [r \in Requests |-> 0]

-----------------------------------------------------------------------------
(***************************************************************************)
(*                     Admission, placement, acquisition                   *)
(***************************************************************************)

Accept(r, k) ==
  /\ rState[r] = "new"
  /\ kind' = [kind EXCEPT ![r] = k]
  /\ IF inflight[k.tenant] < limit[k.tenant]
       THEN /\ inflight' = [inflight EXCEPT ![k.tenant] = @ + 1]
            /\ rState' = [rState EXCEPT ![r] = "placing"]
       ELSE /\ rState' = [rState EXCEPT ![r] = "throttled"]
            /\ UNCHANGED inflight
  /\ UNCHANGED <<sandboxes, asked, probes, sb, tries, redrives, store, creds, limit,
                 completions>>
(***************************************************************************)
(* A frontend accepts invocation r of kind k.  The tenant's limiter admits *)
(* it if the tenant runs fewer requests than its limit; otherwise r ends   *)
(* at once with an explicit throttling error.                              *)
(***************************************************************************)

Matches(s, k) == sbKind[s] = k
(***************************************************************************)
(* Sandbox s may run a request of kind k: same function, version, tenant.  *)
(***************************************************************************)

IdleOf(w, k) == {s \in {w} \X (1..Capacity) : sbState[s] = "Idle" /\ Matches(s, k)}
FreeOf(w) == {s \in {w} \X (1..Capacity) : sbState[s] = "Free"}

Reserve(r, s) ==
  /\ sbState' = [sbState EXCEPT ![s] = "Busy"]
  /\ sbReq' = [sbReq EXCEPT ![s] = r]
  /\ sb' = [sb EXCEPT ![r] = s]
  /\ rState' = [rState EXCEPT ![r] = "acquired"]
(***************************************************************************)
(* The worker manager takes idle sandbox s for r, in one atomic step.      *)
(***************************************************************************)

Miss(r) ==
  /\ UNCHANGED <<sandboxes, rState, sb>>

Sticky(r, s) ==
  /\ rState[r] = "placing" /\ asked[r] = <<>>
  /\ sbState[s] = "Idle" /\ Matches(s, kind[r])
  /\ Reserve(r, s)
  /\ UNCHANGED <<sbKind, used, kind, asked, probes, tries, redrives, store, creds, limit,
                 inflight, completions>>
(***************************************************************************)
(* r names sandbox s (sticky routing): used if idle and of r's kind; else  *)
(* placement proceeds as usual (this step simply does not happen).         *)
(***************************************************************************)

Probe(r, w) ==
  /\ rState[r] = "placing" /\ w \notin Asked(r)
  \* BUG 5: no threshold; after the last worker manager the frontend starts over
  /\ asked' = [asked EXCEPT ![r] =
                IF Len(@) + 1 = Cardinality(Workers) THEN <<>> ELSE Append(@, w)]
  /\ probes' = [probes EXCEPT ![r] = @ + 1]
  /\ IF IdleOf(w, kind[r]) = {} THEN Miss(r)
     ELSE \E s \in IdleOf(w, kind[r]) : Reserve(r, s) /\ UNCHANGED <<sbKind, used>>
  /\ UNCHANGED <<kind, tries, redrives, store, creds, limit, inflight, completions>>
(***************************************************************************)
(* Below the threshold, a frontend asks a worker manager w it has not yet  *)
(* asked for an idle sandbox of r's kind; on a miss it asks another.       *)
(***************************************************************************)

Provision(r, w) ==
  /\ rState[r] = "placing" /\ w \notin Asked(r)
  /\ Len(asked[r]) >= MaxProbes
  /\ asked' = [asked EXCEPT ![r] = Append(@, w)]
  /\ IF IdleOf(w, kind[r]) # {}
       THEN \E s \in IdleOf(w, kind[r]) : Reserve(r, s) /\ UNCHANGED <<sbKind, used>>
     ELSE IF FreeOf(w) # {}
       THEN \E s \in FreeOf(w) :
              /\ sbState' = [sbState EXCEPT ![s] = "Provisioning"]
              /\ sbKind' = [sbKind EXCEPT ![s] = kind[r]]
              /\ sbReq' = [sbReq EXCEPT ![s] = r]
              /\ sb' = [sb EXCEPT ![r] = s]
              /\ rState' = [rState EXCEPT ![r] = "acquired"]
              /\ UNCHANGED used
     ELSE Miss(r)
  /\ UNCHANGED <<probes, kind, tries, redrives, store, creds, limit, inflight, completions>>
(***************************************************************************)
(* At the threshold, the frontend asks the next worker manager for an idle *)
(* sandbox, else to provision one for r in a free slot.                    *)
(***************************************************************************)

Throttle(r) ==
  /\ rState[r] = "placing" /\ Asked(r) = Workers
  /\ rState' = [rState EXCEPT ![r] = "throttled"]
  /\ inflight' = [inflight EXCEPT ![Tenant(r)] = Dec(@)]
  /\ UNCHANGED <<sandboxes, kind, asked, probes, sb, tries, redrives, store, creds, limit,
                 completions>>
(***************************************************************************)
(* Every worker manager was asked and none had capacity: an explicit       *)
(* throttling error; the limiter count is released.                        *)
(***************************************************************************)

Ready(s) ==
  /\ sbState[s] = "Provisioning"
  /\ sbState' = [sbState EXCEPT ![s] = "Busy"]
  /\ UNCHANGED <<sbKind, sbReq, used, requests, store, creds, limit, inflight, completions>>
(***************************************************************************)
(* A provisioned sandbox is ready: Provisioning -> Idle -> Busy(r) in one  *)
(* step, since it was built for the request that asked for it.            *)
(***************************************************************************)

Start(r) ==
  /\ rState[r] = "acquired" /\ sbState[sb[r]] = "Busy"
  /\ rState' = [rState EXCEPT ![r] = "running"]
  /\ used' = [used EXCEPT ![sb[r]] = @ \cup {r}]
  /\ creds' = creds \cup {[req |-> r, sb |-> sb[r]]}
  /\ UNCHANGED <<sbState, sbKind, sbReq, kind, asked, probes, sb, tries, redrives, store,
                 limit, inflight, completions>>
(***************************************************************************)
(* r starts executing in its sandbox with a freshly minted credential      *)
(* scoped to (r, its sandbox).                                             *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                     The end of an attempt and of a request              *)
(***************************************************************************)

AfterRun(s) == IF SingleUse THEN "Resetting" ELSE "Releasing"
(***************************************************************************)
(* The request ends at its frontend, which sends the worker manager a      *)
(* Release message.  Until the worker manager handles it (Release(s)) the  *)
(* sandbox is Releasing: held, though no request holds it.  In single-use  *)
(* mode the sandbox goes straight to Resetting, which is as unusable as a  *)
(* held sandbox, and the Release message is folded into it.                *)
(***************************************************************************)

FreeSandbox(r, next) ==
  /\ sbState' = [sbState EXCEPT ![sb[r]] = next]
  /\ sbReq' = [sbReq EXCEPT ![sb[r]] = None]
  /\ sb' = [sb EXCEPT ![r] = None]
(***************************************************************************)
(* r gives up its sandbox, which is left in state next (Releasing, or      *)
(* Resetting in single-use mode).                                          *)
(***************************************************************************)

Revoke(r) == creds' = {c \in creds : c.req # r}

Complete(r) ==
  /\ rState[r] = "running"
  /\ FreeSandbox(r, AfterRun(sb[r])) /\ Revoke(r)
  /\ rState' = [rState EXCEPT ![r] = "completed"]
  /\ inflight' = [inflight EXCEPT ![Tenant(r)] = Dec(@)]
  /\ completions' = [completions EXCEPT ![r] = @ + 1]
  /\ UNCHANGED <<sbKind, used, kind, asked, probes, tries, redrives, store, limit>>
(***************************************************************************)
(* r completes: the sandbox is released, the credential revoked, the       *)
(* limiter count released once.                                            *)
(***************************************************************************)

AttemptFailed(r) ==
  /\ IF tries[r] < MaxRetries
       THEN /\ rState' = [rState EXCEPT ![r] = "placing"]
            /\ tries' = [tries EXCEPT ![r] = @ + 1]
            /\ asked' = [asked EXCEPT ![r] = <<>>]
            /\ probes' = [probes EXCEPT ![r] = 0]
            /\ UNCHANGED <<store, inflight>>
       ELSE /\ rState' = [rState EXCEPT ![r] = "failed"]
            /\ store' = store \cup {r}
            /\ inflight' = [inflight EXCEPT ![Tenant(r)] = Dec(@)]
            /\ UNCHANGED <<tries, asked, probes>>
(***************************************************************************)
(* A failed attempt is retried (placement starts again, the limiter count  *)
(* is kept) or, after MaxRetries retries, r is stored failed and its count *)
(* released once.                                                          *)
(***************************************************************************)

Fail(r) ==
  /\ rState[r] = "running"
  /\ FreeSandbox(r, AfterRun(sb[r])) /\ Revoke(r)
  /\ AttemptFailed(r)
  /\ UNCHANGED <<sbKind, used, kind, redrives, limit, completions>>
(***************************************************************************)
(* r's attempt ends with an error.                                         *)
(***************************************************************************)

Timeout(r) ==
  /\ rState[r] = "running"
  /\ FreeSandbox(r, AfterRun(sb[r])) /\ Revoke(r)
  /\ AttemptFailed(r)
  /\ UNCHANGED <<sbKind, used, kind, redrives, limit, completions>>
(***************************************************************************)
(* r's attempt times out: the worker manager stops the execution.          *)
(***************************************************************************)

Redrive(r) ==
  /\ r \in store /\ redrives[r] < MaxRedrives
  /\ inflight[Tenant(r)] < limit[Tenant(r)]
  /\ store' = store \ {r}
  /\ rState' = [rState EXCEPT ![r] = "placing"]
  /\ redrives' = [redrives EXCEPT ![r] = @ + 1]
  /\ tries' = [tries EXCEPT ![r] = 0]
  /\ asked' = [asked EXCEPT ![r] = <<>>]
  /\ probes' = [probes EXCEPT ![r] = 0]
  /\ inflight' = [inflight EXCEPT ![Tenant(r)] = @ + 1]
  /\ UNCHANGED <<sandboxes, kind, sb, creds, limit, completions>>
(***************************************************************************)
(* An operator re-drives r from the failure store, through the limiter.    *)
(***************************************************************************)

-----------------------------------------------------------------------------
(***************************************************************************)
(*                      Sandbox upkeep and the limiter                     *)
(***************************************************************************)

Reset(s) ==
  /\ sbState[s] = "Resetting"
  /\ sbState' = [sbState EXCEPT ![s] = "Idle"]
  /\ used' = [used EXCEPT ![s] = {}]
  /\ UNCHANGED <<sbKind, sbReq, requests, store, creds, limit, inflight, completions>>
(***************************************************************************)
(* A single-use sandbox is restored to its saved state.                    *)
(***************************************************************************)

Release(s) ==
  /\ sbState[s] = "Releasing"
  /\ sbState' = [sbState EXCEPT ![s] = "Idle"]
  /\ UNCHANGED <<sbKind, sbReq, used, requests, store, creds, limit, inflight, completions>>
(***************************************************************************)
(* The worker manager handles the frontend's Release message: the sandbox  *)
(* is idle and may be reused (warm mode).                                  *)
(***************************************************************************)

Reclaim(s) ==
  /\ sbState[s] = "Idle"
  /\ sbState' = [sbState EXCEPT ![s] = "Free"]
  /\ sbKind' = [sbKind EXCEPT ![s] = None]
  /\ used' = [used EXCEPT ![s] = {}]
  /\ UNCHANGED <<sbReq, requests, store, creds, limit, inflight, completions>>
(***************************************************************************)
(* An idle sandbox's keep-alive expired: its slot is freed.                *)
(***************************************************************************)

AdjustLimit(t, n) ==
  /\ n \in LimitFloor..LimitMax /\ n # limit[t] /\ n >= inflight[t]
  /\ limit' = [limit EXCEPT ![t] = n]
  /\ UNCHANGED <<sandboxes, requests, store, creds, inflight, completions>>
(***************************************************************************)
(* The limiter moves t's limit with demand, between the floor and the max, *)
(* never below the requests it has admitted.                               *)
(***************************************************************************)

-----------------------------------------------------------------------------
RequestStep(r) ==
  \/ \E w \in Workers : Probe(r, w) \/ Provision(r, w)
  \/ Throttle(r) \/ Start(r) \/ Complete(r) \/ Fail(r) \/ Timeout(r)

Next ==
  \/ \E r \in Requests, k \in Kinds : Accept(r, k)
  \/ \E r \in Requests, s \in Slots : Sticky(r, s)
  \/ \E r \in Requests : RequestStep(r) \/ Redrive(r)
  \/ \E s \in Slots : Ready(s) \/ Release(s) \/ Reset(s) \/ Reclaim(s)
  \/ \E t \in Tenants, n \in LimitFloor..LimitMax : AdjustLimit(t, n)

Fairness ==
  /\ \A r \in Requests : WF_vars(RequestStep(r))
  /\ \A s \in Slots : WF_vars(Ready(s)) /\ WF_vars(Release(s)) /\ WF_vars(Reset(s))
(***************************************************************************)
(* Weak fairness of every request's own steps and of the sandbox steps a   *)
(* waiting request needs.  Accepting, sticky routing, re-drives, reclaim   *)
(* and limit changes are the environment's choice and are not fair.        *)
(***************************************************************************)

Spec == Init /\ [][Next]_vars
LiveSpec == Spec /\ Fairness

-----------------------------------------------------------------------------
(***************************************************************************)
(*                              Properties                                 *)
(***************************************************************************)

Holds(r) == rState[r] \in {"acquired", "running"}

NoDoubleBooking ==
  \A r1, r2 \in Requests : (r1 # r2 /\ Holds(r1) /\ Holds(r2)) => sb[r1] # sb[r2]
(***************************************************************************)
(* A sandbox is held by (runs) at most one request at a time.              *)
(***************************************************************************)

TenantIsolation ==
  \A r \in Requests : Holds(r) => sbKind[sb[r]] = kind[r]
(***************************************************************************)
(* A sandbox runs only requests of the function version and tenant it was  *)
(* built for.                                                              *)
(***************************************************************************)

SingleUseReset ==
  SingleUse => \A r \in Requests : rState[r] = "running" => used[sb[r]] = {r}
(***************************************************************************)
(* In single-use mode no request runs in a sandbox that ran another        *)
(* request since its last reset.                                           *)
(***************************************************************************)

CredentialScope ==
  \A c \in creds : rState[c.req] = "running" /\ sb[c.req] = c.sb
(***************************************************************************)
(* A credential verifies only while its request executes, only in its      *)
(* sandbox.                                                                *)
(***************************************************************************)

BoundedProbes == \A r \in Requests : probes[r] <= MaxProbes
(***************************************************************************)
(* No invocation asks more than MaxProbes worker managers before asking    *)
(* one to provision.                                                       *)
(***************************************************************************)

Executing(t) == Cardinality({r \in Requests : rState[r] \in Active /\ Tenant(r) = t})

WithinLimits ==
  /\ \A t \in Tenants : Executing(t) <= limit[t]
  /\ \A w \in Workers : Cardinality({s \in {w} \X (1..Capacity) : sbState[s] # "Free"})
                          <= Capacity
(***************************************************************************)
(* A tenant's admitted requests never exceed its current limit; a worker   *)
(* manager never holds more than Capacity sandboxes.                       *)
(***************************************************************************)

NoLostRequest ==
  /\ \A r \in Requests : (r \in store) <=> rState[r] = "failed"
  /\ \A r \in Requests : completions[r] <= 1
  /\ \A r \in Requests : (rState[r] = "completed") <=> completions[r] = 1
(***************************************************************************)
(* Every accepted request is in exactly one place: active, or ended once   *)
(* as completed, throttled or stored failed (and only then in the store);  *)
(* a retried request never completes twice.                                *)
(***************************************************************************)

EveryRequestEnds == \A r \in Requests : (rState[r] \in Active) ~> (rState[r] \in Ends)
(***************************************************************************)
(* Liveness: every accepted request reaches completed, throttled or stored *)
(* failed.                                                                 *)
(***************************************************************************)

Symmetry == Permutations(Workers) \cup Permutations(Requests) \cup Permutations(Tenants)
(***************************************************************************)
(* Worker managers, requests and tenants are interchangeable (safety).     *)
(***************************************************************************)

THEOREM Spec => [](TypeOK /\ NoDoubleBooking /\ TenantIsolation /\ SingleUseReset
                        /\ CredentialScope /\ BoundedProbes /\ WithinLimits /\ NoLostRequest)
THEOREM LiveSpec => EveryRequestEnds
=============================================================================
