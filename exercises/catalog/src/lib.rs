//! The exercises' catalog: names, files, titles and hints, with no code of the
//! exercises themselves, so that `conlab exercise list` and `hint` work even
//! while a student's file does not compile. A crate of its own, with no
//! dependencies, so that both the exercises crate and `conlab` use it and
//! `conlab` never compiles a student's file.

/// An exercise, as the catalog lists it.
#[derive(Debug)]
pub struct Info {
    /// Its name on the command line.
    pub name: &'static str,
    /// The file the student edits, relative to `exercises/`.
    pub file: &'static str,
    /// One line.
    pub title: &'static str,
    /// Hints, gentlest first.
    pub hints: &'static [&'static str],
}

/// Exercise "test-and-set-2".
pub const TEST_AND_SET_2: Info = Info {
    name: "test-and-set-2",
    file: "src/ex01_test_and_set.rs",
    title: "consensus for 2 threads from test&set",
    hints: &[
        "test_and_set returns false to exactly one caller: the first.",
        "The loser knows it lost, and with two threads it knows to whom.",
        "The winner decides `me`; the loser decides `1 - me`.",
    ],
};

/// Exercise "queue-2".
pub const QUEUE_2: Info = Info {
    name: "queue-2",
    file: "src/ex02_queue.rs",
    title: "consensus for 2 threads from a FIFO queue",
    hints: &[
        "Put two distinct tokens in the queue before anyone arrives.",
        "Whoever dequeues the first token was first.",
        "Queue::new(&[WIN, LOSE]); the thread that gets WIN decides itself.",
    ],
};

/// Exercise "cas-n".
pub const CAS_N: Info = Info {
    name: "cas-n",
    file: "src/ex03_cas.rs",
    title: "consensus for any number of threads from compare&swap",
    hints: &[
        "compare_exchange(NONE, me, ..): Ok means you won; Err(found) names the winner.",
        "The loser must see the winner's announce: the winner's CAS must release, the \
             loser's failed CAS acquire.",
        "Ordering::Release on success, Ordering::Acquire on failure. Try Relaxed and \
             read the trace loom prints.",
    ],
};

/// Exercise "naive-versioned".
pub const NAIVE_VERSIONED: Info = Info {
    name: "naive-versioned",
    file: "src/ex04_versioned.rs",
    title: "find, explain and fix the bug in the naive versioned register",
    hints: &[
        "In the trace, look for the step where a thread writes X after a thread with a \
             higher number has already read X.",
        "The thread that writes last was ordered first: which condition forbids that write?",
        "Pack (version, X) in one AtomicU64. Raise with a CAS from the word you read \
             (which must have X unset and version ≤ N); write X with a CAS from (N, ⊥).",
        "docs/src/versioned-register.md walks through the trace and the atomic form.",
    ],
};

/// Exercise "assignment-2-3".
pub const ASSIGNMENT_2_3: Info = Info {
    name: "assignment-2-3",
    file: "src/ex05_assignment.rs",
    title: "consensus for 2 threads from (2,3)-assignment",
    hints: &[
        "Assign your own register and r01 in one call.",
        "If the other thread's register is still ⊥, it has not assigned: you were first.",
        "If it is set, r01 holds whoever assigned last. Read r_other before r01.",
    ],
};

/// Exercise "test-and-set-3-fails".
pub const TEST_AND_SET_3_FAILS: Info = Info {
    name: "test-and-set-3-fails",
    file: "src/ex06_test_and_set_3.rs",
    title: "show that the natural 3-thread test&set protocol fails",
    hints: &[
        "Write the protocol as the statement says, as if it were right: loom does the rest.",
        "Store arrived[me] (Release), test&set, and if you lost scan arrived[j] (Acquire) \
             for the lowest other j that is set.",
        "In the trace: who really won the test&set, and whom did the loser decide?",
    ],
};

/// Exercise "paxos-acceptor".
pub const PAXOS_ACCEPTOR: Info = Info {
    name: "paxos-acceptor",
    file: "src/ex07_acceptor.rs",
    title: "a Paxos acceptor register: prepare and accept, each one atomic step",
    hints: &[
        "Load the word, unpack it, compute the new state and the reply; if there is \
             nothing to write (a nack), return the reply; else CAS and retry on failure.",
        "A prepare that returns an accepted value must see what its accept published: \
             accept's CAS releases, prepare's CAS acquires.",
        "A nack carries only the promised ballot: no ordering is needed to return it.",
    ],
};

/// Exercise "fetch-and-add-test-and-set".
pub const FETCH_AND_ADD_TEST_AND_SET: Info = Info {
    name: "fetch-and-add-test-and-set",
    file: "src/ex08_add_or_set.rs",
    title: "binary consensus for any number of threads from fetch&add(2) and test&set \
                on one word",
    hints: &[
        "Let the threads proposing false use one operation and those proposing true the \
             other.",
        "After a test&set on 0 the word is odd, and fetch&add(2) keeps it odd; after a \
             fetch&add(2) on 0 it is even, and test&set no longer changes it.",
        "Returned 0: you were first, decide your own bit. Odd: a test&set was first. \
             Even and non-zero: a fetch&add was.",
    ],
};

/// Exercise "universal-helping".
pub const UNIVERSAL_HELPING: Info = Info {
    name: "universal-helping",
    file: "src/ex09_helping.rs",
    title: "Herlihy's universal construction: write the helping rule that makes it wait-free",
    hints: &[
        "Cell k helps client k mod n; a client helps itself at its own cells.",
        "Read the helped client's announce register once: (view.announced)(h) is the \
             sequence number of its latest operation.",
        "It is pending when that number is above view.applied[h]; propose \
             OpId { client: h, seq } then, else view.mine.",
    ],
};

/// Exercise "fast-quorum".
pub const FAST_QUORUM: Info = Info {
    name: "fast-quorum",
    file: "src/ex10_fast_quorum.rs",
    title: "fix Fast Paxos's too-small fast quorum",
    hints: &[
        "In loom's trace, find the two sets of acceptors that accepted a value at ballot 1, \
             and the promises the recovering proposer read.",
        "Recovery sees at least phase1 + fast − n acceptors of any fast quorum. Two values \
             must not both reach that many among phase1 promises.",
        "2·(phase1 + fast − n) > phase1, i.e. phase1 + 2·fast > 2·n: the smallest fast is \
             (2n − phase1) / 2 + 1 (integer division).",
        "docs/src/fast-paxos.md derives both quorum conditions.",
    ],
};

/// Exercise "byzantine-smallest-n".
pub const BYZANTINE_SMALLEST_N: Info = Info {
    name: "byzantine-smallest-n",
    file: "src/ex11_smallest_n.rs",
    title: "the smallest n for f = 1: PBFT (equivocation) vs single-writer logs",
    hints: &[
        "Quorums are n − f replicas: with f silent, no replica can wait for more.",
        "Two quorums of n − f among n share at least n − 2f replicas. Who may they be?",
        "Under equivocation a shared Byzantine replica tells each quorum its own story: the \
             shared replicas must include an honest one, n − 2f ≥ f + 1.",
        "With single-writer logs even a Byzantine shared replica shows both quorums the same \
             log: n − 2f ≥ 1. docs/src/byzantine.md has both arguments.",
    ],
};

/// Exercise "zab-recovery".
pub const ZAB_RECOVERY: Info = Info {
    name: "zab-recovery",
    file: "src/ex12_zab_recovery.rs",
    title: "the history a new Zab leader adopts in discovery",
    hints: &[
        "A committed transaction sits in a majority's logs; your discovery majority meets it, \
             so some answer holds it. Which one?",
        "A longer log is not always newer: a follower may keep a log of an old epoch whose \
             uncommitted tail a later leader discarded elsewhere.",
        "Compare (current epoch, last zxid), current epoch first: RegionState::current_epoch \
             and RegionState::last_zxid(). The accepted epoch is only a promise.",
    ],
};

/// Exercise "multi-paxos-recovery".
pub const MULTI_PAXOS_RECOVERY: Info = Info {
    name: "multi-paxos-recovery",
    file: "src/ex13_mp_recovery.rs",
    title: "what a new Multi-Paxos leader re-proposes after phase 1",
    hints: &[
        "A chosen entry was accepted by a majority; your promising majority meets it, so some \
             report for that slot carries it. Which of the slot's reports?",
        "Ballots only grow, and a later leader re-proposes what it found: the report with the \
             highest ballot at a slot holds the only entry that may have been chosen there.",
        "A slot below the last reported one with no report at all: nothing was chosen there. \
             Fill it with NOOP so the log has no hole; stop after the last reported slot.",
    ],
};

/// Every exercise, in the order a course takes them.
pub static CATALOG: &[Info] = &[
    TEST_AND_SET_2,
    QUEUE_2,
    CAS_N,
    NAIVE_VERSIONED,
    ASSIGNMENT_2_3,
    TEST_AND_SET_3_FAILS,
    PAXOS_ACCEPTOR,
    FETCH_AND_ADD_TEST_AND_SET,
    UNIVERSAL_HELPING,
    FAST_QUORUM,
    BYZANTINE_SMALLEST_N,
    ZAB_RECOVERY,
    MULTI_PAXOS_RECOVERY,
];

/// The catalog entry named `name`.
pub fn info(name: &str) -> Option<&'static Info> {
    CATALOG.iter().find(|e| e.name == name)
}
