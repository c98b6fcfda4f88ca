//! The acknowledgement window: which events handed to the producer are
//! still waiting for the broker. Events are numbered 1, 2, 3… in the order
//! they are sent; acknowledgements come back in any order (one partition
//! may be faster than another), and `delivered` is the end of the longest
//! acknowledged prefix — the only number the state file may move to.

use std::collections::VecDeque;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Acked,
    /// Given up on: never acknowledged, so the window stops before it.
    Failed,
}

#[derive(Debug)]
pub struct Window {
    /// Sequence number of `states[0]`; everything below it is acknowledged.
    base: u64,
    /// One state per event from `base` on.
    states: VecDeque<State>,
    /// Events in the window still `Waiting`.
    waiting: u64,
}

impl Default for Window {
    fn default() -> Window {
        Window::new()
    }
}

impl Window {
    pub fn new() -> Window {
        Window {
            base: 1,
            states: VecDeque::new(),
            waiting: 0,
        }
    }

    /// Event `seq` was handed to the producer. Numbers only grow; a number
    /// skipped over was never sent and has nothing to wait for.
    pub fn sent(&mut self, seq: u64) {
        let next = self.base + self.states.len() as u64;
        if seq < next {
            return;
        }
        if self.states.is_empty() {
            self.base = seq;
        } else {
            for _ in next..seq {
                self.states.push_back(State::Acked);
            }
        }
        self.states.push_back(State::Waiting);
        self.waiting += 1;
    }

    /// The broker acknowledged event `seq`. Unknown or repeated numbers are
    /// ignored.
    pub fn acked(&mut self, seq: u64) {
        if self.set_state(seq, State::Acked) {
            while self.states.front() == Some(&State::Acked) {
                self.states.pop_front();
                self.base += 1;
            }
        }
    }

    /// The broker will never acknowledge `seq` (a permanent failure): stop
    /// waiting for it, but never move past it.
    pub fn failed(&mut self, seq: u64) {
        self.set_state(seq, State::Failed);
    }

    /// Every event numbered up to this one is acknowledged.
    pub fn delivered(&self) -> u64 {
        self.base - 1
    }

    /// Events sent and neither acknowledged nor given up on.
    pub fn waiting(&self) -> u64 {
        self.waiting
    }

    fn set_state(&mut self, seq: u64, to: State) -> bool {
        let slot = seq
            .checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.states.get_mut(i));
        match slot {
            Some(state) if *state == State::Waiting => {
                *state = to;
                self.waiting -= 1;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn in_order_acks_move_the_window() {
        let mut w = Window::new();
        assert_eq!(w.delivered(), 0);
        for s in 1..=3 {
            w.sent(s);
        }
        assert_eq!(w.waiting(), 3);
        w.acked(1);
        assert_eq!(w.delivered(), 1);
        w.acked(2);
        w.acked(3);
        assert_eq!((w.delivered(), w.waiting()), (3, 0));
    }

    #[test]
    fn an_early_ack_waits_for_the_gap_to_close() {
        let mut w = Window::new();
        for s in 1..=4 {
            w.sent(s);
        }
        w.acked(3);
        w.acked(4);
        assert_eq!(w.delivered(), 0);
        w.acked(2);
        assert_eq!(w.delivered(), 0);
        w.acked(1);
        assert_eq!(w.delivered(), 4);
    }

    #[test]
    fn repeated_and_unknown_acks_change_nothing() {
        let mut w = Window::new();
        w.sent(1);
        w.sent(2);
        w.acked(2);
        w.acked(2);
        w.acked(7);
        w.acked(0);
        assert_eq!((w.delivered(), w.waiting()), (0, 1));
    }

    #[test]
    fn a_failure_pins_the_window() {
        let mut w = Window::new();
        for s in 1..=3 {
            w.sent(s);
        }
        w.acked(1);
        w.failed(2);
        w.acked(3);
        w.acked(2);
        assert_eq!((w.delivered(), w.waiting()), (1, 0));
    }

    #[test]
    fn numbers_not_sent_are_not_waited_for() {
        let mut w = Window::new();
        w.sent(5);
        assert_eq!(w.delivered(), 4);
        w.sent(8);
        w.acked(5);
        assert_eq!(w.delivered(), 7);
        w.acked(8);
        assert_eq!((w.delivered(), w.waiting()), (8, 0));
    }

    proptest! {
        /// Whatever order the acks come in, `delivered` is the longest
        /// acknowledged prefix, and never goes back.
        #[test]
        fn delivered_is_the_acknowledged_prefix(
            order in Just((1..=60u64).collect::<Vec<_>>()).prop_shuffle(),
            acks in 0usize..=60,
        ) {
            let mut w = Window::new();
            for s in 1..=60 {
                w.sent(s);
            }
            let mut done = std::collections::BTreeSet::new();
            let mut last = 0;
            for &s in &order[..acks] {
                w.acked(s);
                done.insert(s);
                let prefix = (1..=60).take_while(|s| done.contains(s)).count() as u64;
                prop_assert_eq!(w.delivered(), prefix);
                prop_assert!(w.delivered() >= last);
                last = w.delivered();
            }
            prop_assert_eq!(w.waiting(), 60 - acks as u64);
        }
    }
}
