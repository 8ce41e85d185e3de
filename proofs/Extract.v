(* SPDX-License-Identifier: Apache-2.0 *)
(* Extracts the model's step and observation functions to OCaml for the differential test
   (tests/proofs/differential_test.cpp drives them through proofs/driver/driver.ml), and the
   check of the model's policy hypotheses (PolicyCheck.v) it runs on random policies. *)
From Bulkhead Require Import Separation PolicyCheck.
Require Extraction.
Require Import ExtrOcamlBasic ExtrOcamlNatInt.
Extraction Language OCaml.
Extraction "model.ml" step read context interferes indicator hypotheses_b.
