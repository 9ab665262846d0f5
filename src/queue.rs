//! A queue bounded in messages and in bytes, between a producer and a consumer that may fall
//! behind: a connection's outgoing messages, a `--exec` child's input. A producer that can be
//! slowed down (stdin, a child's output) waits for room; one that must not hold up anybody
//! else (a broadcast, a client's messages to its child) is refused, and the caller drops the
//! consumer that fell behind.
//!
//! One lock around a `VecDeque` and its two weights: a broadcast puts an item into every
//! client's queue, so a push costs one uncontended lock, and the wake-up only when the
//! consumer waits (a channel plus two semaphores cost three times that, two locks per item
//! taken out).

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use tokio::runtime::Handle;
use tokio::sync::Notify;

/// What an item costs against the bounds.
pub trait Weighed {
    fn bytes(&self) -> usize;
    /// The messages it holds, against the message bound.
    fn messages(&self) -> usize {
        1
    }
}

impl Weighed for Vec<u8> {
    fn bytes(&self) -> usize {
        self.len()
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The message or byte bound is reached: the consumer is not keeping up.
    Full,
    /// The consumer is gone.
    Closed,
}

struct State<T> {
    items: VecDeque<T>,
    /// What the queued items weigh, each capped at the bound (see [`Shared::weight`]).
    messages: usize,
    bytes: usize,
    senders: usize,
    receiver_gone: bool,
    /// The consumer, waiting for an item.
    consumer: Option<Waker>,
    /// A producer waits for room: the consumer tells `room` when it takes an item.
    producer_waits: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    room: Notify,
    message_limit: usize,
    byte_limit: usize,
}

impl<T: Weighed> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An item's weight, each part capped at its bound: an item larger than a bound still
    /// passes, alone, once the queue is empty, instead of never.
    fn weight(&self, item: &T) -> (usize, usize) {
        (
            item.messages().min(self.message_limit),
            item.bytes().min(self.byte_limit),
        )
    }

    fn take(&self) -> Option<T> {
        self.take_from(self.lock())
    }

    fn take_from(&self, mut state: MutexGuard<'_, State<T>>) -> Option<T> {
        let item = state.items.pop_front()?;
        let (messages, bytes) = self.weight(&item);
        state.messages -= messages;
        state.bytes -= bytes;
        let tell = std::mem::take(&mut state.producer_waits);
        drop(state);
        if tell {
            self.room.notify_waiters();
        }
        Some(item)
    }
}

pub struct Sender<T: Weighed> {
    shared: Arc<Shared<T>>,
    /// The runtime the queue was made on, for `blocking_send` from a plain thread.
    runtime: Option<Handle>,
}

// Derived Clone would require T: Clone.
impl<T: Weighed> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: self.shared.clone(),
            runtime: self.runtime.clone(),
        }
    }
}

impl<T: Weighed> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.senders -= 1;
        let consumer = if state.senders == 0 {
            state.consumer.take()
        } else {
            None
        };
        drop(state);
        if let Some(consumer) = consumer {
            consumer.wake();
        }
    }
}

pub struct Receiver<T: Weighed> {
    shared: Arc<Shared<T>>,
}

/// A queue for at most `message_limit` messages and `byte_limit` bytes.
pub fn bounded<T: Weighed>(message_limit: usize, byte_limit: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            messages: 0,
            bytes: 0,
            senders: 1,
            receiver_gone: false,
            consumer: None,
            producer_waits: false,
        }),
        room: Notify::new(),
        message_limit: message_limit.max(1),
        byte_limit: byte_limit.max(1),
    });
    let sender = Sender {
        shared: shared.clone(),
        runtime: Handle::try_current().ok(),
    };
    (sender, Receiver { shared })
}

impl<T: Weighed> Sender<T> {
    /// Waits for room. Cancel-safe: when dropped before it completes, nothing was queued.
    pub async fn send(&self, mut item: T) -> Result<(), QueueError> {
        loop {
            let room = self.shared.room.notified();
            tokio::pin!(room);
            // Listening before looking, so room made in between is not missed.
            room.as_mut().enable();
            match self.push(item, true) {
                Ok(()) => return Ok(()),
                Err(Refused {
                    error: QueueError::Full,
                    item: refused,
                }) => item = refused,
                Err(refused) => return Err(refused.error),
            }
            room.await;
        }
    }

    /// As `send`, from a thread outside the runtime (the stdin reader).
    pub fn blocking_send(&self, item: T) -> Result<(), QueueError> {
        // Only wakeups are needed to finish the send, no I/O or timers, so any thread may
        // block on it, even for a single-threaded runtime driven elsewhere.
        match &self.runtime {
            Some(runtime) => runtime.block_on(self.send(item)),
            None => Err(QueueError::Closed),
        }
    }

    /// Never waits. A refused item comes back with the reason.
    pub fn try_send(&self, item: T) -> Result<(), Refused<T>> {
        self.push(item, false)
    }

    fn push(&self, item: T, will_wait: bool) -> Result<(), Refused<T>> {
        let (messages, bytes) = self.shared.weight(&item);
        let mut state = self.shared.lock();
        if state.receiver_gone {
            return Err(Refused::closed(item));
        }
        if state.messages.saturating_add(messages) > self.shared.message_limit
            || state.bytes.saturating_add(bytes) > self.shared.byte_limit
        {
            state.producer_waits |= will_wait;
            return Err(Refused::full(item));
        }
        state.items.push_back(item);
        state.messages += messages;
        state.bytes += bytes;
        let consumer = state.consumer.take();
        drop(state);
        if let Some(consumer) = consumer {
            consumer.wake();
        }
        Ok(())
    }
}

/// An item `try_send` did not queue, and why.
#[derive(Debug)]
pub struct Refused<T> {
    pub error: QueueError,
    pub item: T,
}

impl<T> Refused<T> {
    fn full(item: T) -> Self {
        Refused {
            error: QueueError::Full,
            item,
        }
    }

    fn closed(item: T) -> Self {
        Refused {
            error: QueueError::Closed,
            item,
        }
    }
}

impl<T: Weighed> Receiver<T> {
    /// The next item; None once every sender is gone and the queue is empty. Cancel-safe.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| {
            let mut state = self.shared.lock();
            if !state.items.is_empty() {
                return Poll::Ready(self.shared.take_from(state));
            }
            if state.senders == 0 {
                return Poll::Ready(None);
            }
            match &mut state.consumer {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                consumer => *consumer = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }

    pub fn try_recv(&mut self) -> Option<T> {
        self.shared.take()
    }
}

impl<T: Weighed> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.shared.lock();
            state.receiver_gone = true;
            std::mem::take(&mut state.items)
        };
        // Dropped outside the lock; a producer waiting for room learns that none will come.
        drop(items);
        self.shared.room.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_in_items_and_in_bytes() {
        let (sender, mut receiver) = bounded::<Vec<u8>>(3, 10);
        let try_send = |item: Vec<u8>| sender.try_send(item).map_err(|refused| refused.error);
        assert_eq!(try_send(vec![0; 6]), Ok(()));
        assert_eq!(try_send(vec![0; 5]), Err(QueueError::Full));
        assert_eq!(try_send(vec![0; 4]), Ok(()));
        assert_eq!(try_send(Vec::new()), Ok(()));
        assert_eq!(try_send(Vec::new()), Err(QueueError::Full));
        assert_eq!(receiver.try_recv().map(|item| item.len()), Some(6));
        assert_eq!(try_send(vec![0; 6]), Ok(()));
        drop(receiver);
        assert_eq!(try_send(Vec::new()), Err(QueueError::Closed));
        let refused = sender.try_send(vec![7]).unwrap_err();
        assert_eq!(refused.item, vec![7]);
    }

    #[tokio::test]
    async fn an_oversized_item_waits_for_an_empty_queue() {
        let (sender, mut receiver) = bounded::<Vec<u8>>(8, 10);
        sender.send(vec![1]).await.unwrap();
        let waiting = tokio::spawn({
            let sender = sender.clone();
            async move { sender.send(vec![2; 50]).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(receiver.recv().await, Some(vec![1]));
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(receiver.recv().await.map(|item| item.len()), Some(50));
    }

    #[tokio::test]
    async fn a_waiting_sender_is_told_when_the_receiver_goes() {
        let (sender, receiver) = bounded::<Vec<u8>>(8, 10);
        sender.send(vec![0; 10]).await.unwrap();
        let waiting = tokio::spawn(async move { sender.send(vec![0; 1]).await });
        tokio::task::yield_now().await;
        drop(receiver);
        assert_eq!(waiting.await.unwrap(), Err(QueueError::Closed));
    }

    /// An item of several messages, as a broadcast burst is.
    #[derive(Debug)]
    struct Burst(usize);

    impl Weighed for Burst {
        fn bytes(&self) -> usize {
            self.0
        }

        fn messages(&self) -> usize {
            self.0
        }
    }

    #[tokio::test]
    async fn a_burst_counts_each_of_its_messages() {
        let (sender, mut receiver) = bounded::<Burst>(10, 1 << 20);
        assert!(sender.try_send(Burst(6)).is_ok());
        let refused = sender.try_send(Burst(5)).unwrap_err();
        assert_eq!(refused.error, QueueError::Full);
        assert!(sender.try_send(Burst(4)).is_ok());
        assert_eq!(receiver.try_recv().map(|burst| burst.0), Some(6));
        // Larger than the bound: passes alone, once the queue is empty.
        assert!(sender.try_send(Burst(30)).is_err());
        assert_eq!(receiver.recv().await.map(|burst| burst.0), Some(4));
        assert!(sender.try_send(Burst(30)).is_ok());
    }
}
