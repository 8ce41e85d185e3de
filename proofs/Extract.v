(* SPDX-License-Identifier: Apache-2.0 *)
(* Extracts the model's step and observation functions to OCaml for the differential test
   (tests/proofs/differential_test.cpp drives them through proofs/driver/driver.ml). *)
From Bulkhead Require Import Separation.
Require Extraction.
Require Import ExtrOcamlBasic ExtrOcamlNatInt.
Extraction Language OCaml.
Extraction "model.ml" step read interferes indicator.
