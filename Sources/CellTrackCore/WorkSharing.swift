#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets threads that have run out of work help a thread that is in a parallel loop.
///
/// Why: `run` segments whole frames on `cores` workers. At the end of a movie the last frames
/// finish one by one and the other cores sit idle; on 8 frames and 2 cores that idle tail was
/// a tenth of the wall time. A frame worker hands its per-colony loop to `forEach`; while the
/// other workers are busy with frames of their own it runs every item itself, in order (the
/// cost is one lock per item), and a worker that has nothing left joins in through `help`.
///
/// Results never depend on who ran an item: `body(i)` must write only what belongs to item
/// `i` (its own slot), and the caller combines the slots in index order afterwards.
///
/// ```swift
/// let sharing = WorkSharing(participants: 2)
/// // on each of the two workers:
/// var out = [Int](repeating: 0, count: 100)
/// out.withUnsafeMutableBufferPointer { o in sharing.forEach(100) { i in o[i] = i * i } }
/// sharing.help()   // when this worker has nothing left: help the others until all are done
/// ```
public final class WorkSharing: @unchecked Sendable {
    private final class Job {
        let count: Int
        let body: (Int) -> Void
        var next = 0
        var finished = 0
        init(count: Int, body: @escaping (Int) -> Void) { self.count = count; self.body = body }
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    /// Jobs with items not yet started, oldest first.
    private var open: [Job] = []
    /// Threads that may still post jobs (they have not called `help`).
    private var working: Int

    /// `participants`: the threads that will each call `help` once when they run out of work.
    public init(participants: Int) {
        precondition(participants >= 1)
        working = participants
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        changed = .allocate(capacity: 1)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed); changed.deallocate()
        pthread_mutex_destroy(mutex); mutex.deallocate()
    }

    /// Runs `body(0)`, …, `body(count − 1)` and returns when all have finished. Items start in
    /// index order, on this thread and on any helping thread, so put the costliest first.
    /// `body` must not throw or wait on the caller; it may itself call `forEach`.
    public func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        if count == 1 { body(0); return }
        withoutActuallyEscaping(body) { body in
            // `body` escapes only into the job, which is closed (no item left to start, every
            // started item finished) before this call returns.
            let job = Job(count: count, body: body)
            pthread_mutex_lock(mutex)
            open.append(job)
            pthread_cond_broadcast(changed)
            while job.next < count {
                let i = job.next
                job.next += 1
                if job.next == count { open.removeAll { $0 === job } }
                pthread_mutex_unlock(mutex)
                body(i)
                pthread_mutex_lock(mutex)
                job.finished += 1
            }
            while job.finished < count { pthread_cond_wait(changed, mutex) }
            pthread_mutex_unlock(mutex)
        }
    }

    /// Called once by each participant when it has no work of its own left: runs items of other
    /// participants' jobs until every participant has called `help` and no job is open.
    public func help() {
        pthread_mutex_lock(mutex)
        working -= 1
        pthread_cond_broadcast(changed)
        while true {
            if let job = open.first {
                let i = job.next
                job.next += 1
                if job.next == job.count { open.removeFirst() }
                pthread_mutex_unlock(mutex)
                job.body(i)
                pthread_mutex_lock(mutex)
                job.finished += 1
                if job.finished == job.count { pthread_cond_broadcast(changed) }
            } else if working == 0 {
                break
            } else {
                pthread_cond_wait(changed, mutex)
            }
        }
        pthread_mutex_unlock(mutex)
    }
}
