(* SPDX-License-Identifier: Apache-2.0 *)
(* Runs the extracted model on traces read from stdin and prints every observable after every
   step, in the format the C++ side of the differential test prints.
   Input, one item per line:
     policy NPARTS NCHAN NCPUS    then NPARTS lines "part PAGES INJECT CPU" (INJECT 1: a violation
                                  injects a fault, 0: it stops the partition; CPU: the one it is
                                  bound to) and NCHAN lines "chan WRITER READER GUEST_PAGE PAGES";
                                  starts a fresh state
     sched C START P0 P1 ...      CPU C's plan: the partition of each minor frame (65535: idle);
                                  its first frame starts at START (microseconds) and CPU C's
                                  registers hold that frame's partition's context
     durations C D0 D1 ...        the duration of each of CPU C's minor frames (microseconds)
     probe G1 G2 ...              guest pages observed in every partition after each step
     W p g v | B p ... | G p c | K k | S t | Y p | R p | C p l | H p | D p ... | DW p k v | DR p k
     | X p v | SR p r v | T c
                                  one action (B: p makes a call the kernel refuses, which one in
                                  the ignored fields; G: p signals channel c; Y: p yields; R: p
                                  reads the time; C: p executes CPUID for leaf l; H: p executes
                                  HLT; D: p reaches for a port or MSR it is not granted, which in
                                  the ignored fields; DW, DR: p's doorbell completes a write of v
                                  to, or a read of, sector k of its own disk; X: p executes
                                  XSETBV with value v; SR: p writes v into its register r; T c:
                                  CPU c's timer ends its minor frame)
     hyp NCHAN NPARTS             a policy's grant table, for the check of the model's policy
                                  hypotheses (PolicyCheck.v); then NPARTS lines "level L" (each
                                  partition's label level), NCHAN lines "chan WRITER READER", lines
                                  "entry P G ACCESS CELL ..." (ACCESS r or w; CELL m.Q.OFFSET for
                                  partition Q's memory, c.C.OFFSET for channel C's, k for memory
                                  outside the model's store), and "end"; prints "hyp 1" if the
                                  check accepts the table, else "hyp 0"
   Output after each action: "step N" then, per partition p,
     "p stopped refused focus F0 C0 F1 C1 ... audit nkeys lastkey r1 r2 ..." (Fc, Cc: CPU c's
     current frame and the time it started at, for each CPU; ri: value at probe page i, or -;
     audit: the audit log, the
     partitions stopped newest first, comma-separated, or - if empty), then " e" and the event
     count of every channel p is an endpoint of, in channel order, then " c" and p's exits, the
     time its last read_time returned, the leaf its last CPUID asked for, the faults injected
     into it, what its last disk read returned and its XCR0, then " r" and its context's
     registers 0 to 3. *)
open Model

let parts = ref [||]            (* guest RAM pages of each partition *)
let injects = ref [||]          (* on_violation = inject_fault, per partition *)
let cpu_of_part = ref [||]      (* the CPU each partition is bound to *)
let chans = ref [||]            (* (writer, reader, guest page, pages) *)
let probes = ref []
let ncpus = ref 1
let sched = Array.make 2 [| 0 |]      (* per CPU *)
let durations = Array.make 2 [| 0 |]

(* A partition's CPU; no CPU (255) for any other number, the idle frame's 65535 included. *)
let cpu_of p = if p < Array.length !cpu_of_part then (!cpu_of_part).(p) else 255

(* The grant specification of sk::policy::guest_page, at page granularity: own RAM at guest
   page 0 .. pages-1 read-write; a channel window read-write for its writer, read-only for its
   reader; nothing else. *)
let grant p g =
  if p < Array.length !parts && g < (!parts).(p) then Some ((RMem p, g), Read_write)
  else
    let found = ref None in
    Array.iteri (fun c (w, r, base, n) ->
        if !found = None && g >= base && g < base + n then
          if w = p then found := Some ((RChan c, g - base), Read_write)
          else if r = p then found := Some ((RChan c, g - base), Read_only))
      !chans;
    !found

(* The XCR0 values the hosted CPU accepts (hosted_kernel.cpp's xcr0_valid): x87 always, no
   bit above AVX, AVX only with SSE. *)
let xcr0_ok v = v land 1 = 1 && v land (lnot 7) = 0 && (v land 4 = 0 || v land 2 = 2)

let fresh () = { store = (fun _ _ -> 0); stopped = (fun _ -> false); refused = (fun _ -> 0);
                 focus = 0; inbox = (fun _ -> []); frame = (fun _ -> 0); clock = (fun _ -> 0); audit = [];
                 events = (fun _ -> 0);
                 cpus = (fun _ -> { exits = 0; spent = 0; time_read = 0; cpuid_leaf = 0; faults = 0;
                                    disk = (fun _ -> 0); disk_read = 0; xcr0 = 1 });
                 contexts = { live = (fun _ _ -> 0); owner = (fun _ -> None); saved = (fun _ _ -> 0) } }

let step_model s a =
  step (Array.length !chans) (fun c -> let (w, _, _, _) = (!chans).(c) in w) grant
    (fun c -> Array.length sched.(c)) (fun c i -> sched.(c).(i)) (fun c i -> durations.(c).(i)) cpu_of
    (fun p -> p < Array.length !injects && (!injects).(p)) xcr0_ok s a

let () =
  let s = ref (fresh ()) in
  let n = ref 0 in
  let rec last = function [] -> -1 | [ k ] -> k | _ :: t -> last t in
  (* print_int and one buffered write at the end: the driver prints about 10^7 numbers a run. *)
  let num x = print_char ' '; print_int x in
  let observe () =
    print_string "step "; print_int !n; print_char '\n';
    for p = 0 to Array.length !parts - 1 do
      let st = !s in
      let keys = st.inbox p in
      let audit = if st.audit = [] then "-" else String.concat "," (List.map string_of_int st.audit) in
      print_int p; num (if st.stopped p then 1 else 0); num (st.refused p); num (indicator st);
      for c = 0 to !ncpus - 1 do num (st.frame c); num (st.clock c) done;
      print_char ' '; print_string audit; num (List.length keys); num (last keys);
      List.iter (fun g ->
          match read grant st p g with
          | Some v -> num v
          | None -> print_string " -")
        !probes;
      print_string " e";
      Array.iteri (fun c (w, r, _, _) -> if w = p || r = p then num (st.events c)) !chans;
      let c = st.cpus p in
      print_string " c"; num c.exits; num c.time_read; num c.cpuid_leaf; num c.faults; num c.disk_read; num c.xcr0;
      print_string " r";
      let k = context cpu_of st p in
      for r = 0 to 3 do num (k r) done;
      print_char '\n'
    done
  in
  try
    while true do
      let line = input_line stdin in
      match String.split_on_char ' ' (String.trim line) with
      | [ "policy"; np; nc; ncpu ] ->
          parts := Array.make (int_of_string np) 0;
          injects := Array.make (int_of_string np) false;
          cpu_of_part := Array.make (int_of_string np) 0;
          ncpus := int_of_string ncpu;
          chans := Array.make (int_of_string nc) (0, 0, 0, 0);
          for p = 0 to Array.length !parts - 1 do
            Scanf.sscanf (input_line stdin) "part %d %d %d"
              (fun x i c -> (!parts).(p) <- x; (!injects).(p) <- i = 1; (!cpu_of_part).(p) <- c)
          done;
          for c = 0 to Array.length !chans - 1 do
            Scanf.sscanf (input_line stdin) "chan %d %d %d %d" (fun w r b k -> (!chans).(c) <- (w, r, b, k))
          done;
          s := fresh ();
          n := 0
      | "probe" :: gs -> probes := List.map int_of_string gs
      | "sched" :: c :: st :: ps ->
          let c = int_of_string c and st = int_of_string st in
          sched.(c) <- Array.of_list (List.map int_of_string ps);
          let first = sched.(c).(0) in
          let b = (!s).contexts in
          s := { !s with clock = (let k = (!s).clock in fun d -> if d = c then st else k d);
                         contexts = { b with owner = (fun d -> if d = c && cpu_of first = c then Some first else b.owner d) } }
      | "durations" :: c :: ds -> durations.(int_of_string c) <- Array.of_list (List.map int_of_string ds)
      | [ "W"; p; g; v ] -> s := step_model !s (Write (int_of_string p, int_of_string g, int_of_string v)); incr n; observe ()
      | "B" :: p :: _ -> s := step_model !s (Bad_call (int_of_string p)); incr n; observe ()
      | [ "G"; p; c ] -> s := step_model !s (Signal (int_of_string p, int_of_string c)); incr n; observe ()
      | [ "K"; k ] -> s := step_model !s (Key (int_of_string k)); incr n; observe ()
      | [ "S"; t ] -> s := step_model !s (Sak (int_of_string t)); incr n; observe ()
      | [ "Y"; p ] -> s := step_model !s (Yield (int_of_string p)); incr n; observe ()
      | [ "R"; p ] -> s := step_model !s (Read_time (int_of_string p)); incr n; observe ()
      | [ "C"; p; l ] -> s := step_model !s (Cpuid (int_of_string p, int_of_string l)); incr n; observe ()
      | [ "H"; p ] -> s := step_model !s (Halt (int_of_string p)); incr n; observe ()
      | "D" :: p :: _ -> s := step_model !s (Deny (int_of_string p)); incr n; observe ()
      | [ "DW"; p; k; v ] -> s := step_model !s (Disk_write (int_of_string p, int_of_string k, int_of_string v)); incr n; observe ()
      | [ "DR"; p; k ] -> s := step_model !s (Disk_read (int_of_string p, int_of_string k)); incr n; observe ()
      | [ "X"; p; v ] -> s := step_model !s (Xsetbv (int_of_string p, int_of_string v)); incr n; observe ()
      | [ "SR"; p; r; v ] -> s := step_model !s (Set_reg (int_of_string p, int_of_string r, int_of_string v)); incr n; observe ()
      | [ "T"; c ] -> s := step_model !s (Tick (int_of_string c)); incr n; observe ()
      | [ "hyp"; nc; np ] ->
          let nchan = int_of_string nc in
          let levels = Array.init (int_of_string np) (fun _ -> Scanf.sscanf (input_line stdin) "level %d" (fun l -> l)) in
          let ends = Array.init nchan (fun _ -> Scanf.sscanf (input_line stdin) "chan %d %d" (fun w r -> (w, r))) in
          let cell c =
            match String.split_on_char '.' c with
            | [ "m"; q; o ] -> Some (RMem (int_of_string q), int_of_string o)
            | [ "c"; k; o ] -> Some (RChan (int_of_string k), int_of_string o)
            | [ "k" ] -> None
            | _ -> failwith ("driver: bad cell " ^ c)
          in
          let rec entries acc =
            match String.split_on_char ' ' (String.trim (input_line stdin)) with
            | [ "end" ] -> List.rev acc
            | "entry" :: p :: g :: a :: cells ->
                let e = (((int_of_string p, int_of_string g), List.map cell cells),
                         if a = "w" then Read_write else Read_only) in
                entries (e :: acc)
            | _ -> failwith "driver: bad entry line"
          in
          let t = entries [] in
          let level q = levels.(q) in
          let ok = hypotheses_b nchan (fun c -> fst ends.(c)) (fun c -> snd ends.(c)) level t in
          Printf.printf "hyp %d\n" (if ok then 1 else 0)
      | [ "" ] -> ()
      | _ -> failwith ("driver: bad input line: " ^ line)
    done
  with End_of_file -> ()
