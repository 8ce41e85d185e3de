(* SPDX-License-Identifier: Apache-2.0 *)
(* Prints the axioms each theorem rests on; tests/proofs/check_proofs.sh requires "Closed under
   the global context" for every one: no axiom, no admitted lemma. *)
From Bulkhead Require Import Separation PolicyCheck.
Print Assumptions weak_step_consistency.
Print Assumptions local_respect.
Print Assumptions unwinding.
Print Assumptions separation.
Print Assumptions no_flow_down.
Print Assumptions no_flow_down_traces.
Print Assumptions higher_actions_invisible.
Print Assumptions partition_acts_only_in_own_frames.
Print Assumptions time_from_ticks.
Print Assumptions time_partitioning.
Print Assumptions time_read_own.
Print Assumptions read_time_value.
Print Assumptions tick_restarts_spent.
Print Assumptions disk_only_own.
Print Assumptions cpu_view_own.
Print Assumptions context_own.
Print Assumptions set_reg_own.
Print Assumptions switch_loads_own_context.
Print Assumptions other_cpu_tick_invisible.
Print Assumptions key_reaches_indicated_partition.
Print Assumptions focus_changes_only_on_sak.
Print Assumptions sak_reaches_no_partition.
Print Assumptions keys_only_while_focused.
Print Assumptions keys_confidential.
Print Assumptions hypotheses_b_sound.
Print Assumptions hypotheses_b_complete.
