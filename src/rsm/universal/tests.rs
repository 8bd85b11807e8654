//! Small runs of the construction itself, sized for Miri (`cargo xtask miri`
//! runs this module, the one with the construction's `unsafe`): two clients
//! race on real threads, every announced operation is read by helpers while
//! its owner goes on.

use super::{Helping, NoHelping, Rules, Universal};
use crate::consensus::cas::CasConsensus;
use crate::objects::rmw::{WordOp, WordSpec};
use crate::rsm::{Client, Replicated};

const COUNTER: WordSpec = WordSpec { add: true, init: 0 };

fn race<R: Rules>(per: usize) {
    let mut c =
        Universal::<_, _, R>::new(COUNTER, 2, 2 * per, || Ok(CasConsensus::new(2))).unwrap();
    let clients = c.clients().unwrap();
    let got: Vec<Vec<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .into_iter()
            .map(|mut cl| {
                s.spawn(move || (0..per).map(|_| cl.submit(WordOp::Rmw(1)).unwrap()).collect())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Every increment returned a distinct old value, 0..2·per: each applied once.
    let mut all: Vec<usize> = got.concat();
    all.sort_unstable();
    assert_eq!(all, (0..2 * per).collect::<Vec<_>>());
    // And each client saw its own increments in increasing order.
    assert!(got.iter().all(|g| g.windows(2).all(|w| w[0] < w[1])));
    assert_eq!(c.log().len(), 2 * per);
}

#[test]
fn two_racing_clients_apply_every_increment_once() {
    race::<Helping>(if cfg!(miri) { 8 } else { 200 });
}

#[test]
fn without_helping_too() {
    race::<NoHelping>(if cfg!(miri) { 8 } else { 200 });
}
