import Dispatch
import Synchronization

/// A small scheduler for coarse, named tasks with dependencies (load the inputs, start reading
/// ahead, build the symbol table, ...). Each task starts as soon as all of its dependencies have
/// finished; independent tasks run in parallel on Dispatch, at most `threads` at a time.
///
/// The graph is checked before anything runs: an unknown dependency, a duplicate name or a
/// dependency cycle (reported with the names of the tasks in it) throws without running any
/// task. A task that throws is reported by name; the tasks that depend on it, directly or not,
/// are not run, while independent tasks still finish, so one run reports every failure.
///
/// Tasks are coarse (microseconds of scheduling each), not a replacement for `Parallel.forEach`
/// inside a phase. Each task runs inside a `PhaseTimer` span named after it.
public struct TaskGraph {
    struct Node {
        let name: String
        let deps: [String]
        let body: @Sendable () throws -> Void
    }

    private var nodes: [Node] = []

    public init() {}

    /// Adds a task. Dependencies are named, so they may be added before or after this task.
    public mutating func add(_ name: String, dependsOn deps: [String] = [],
                             _ body: @escaping @Sendable () throws -> Void) {
        nodes.append(Node(name: name, deps: deps, body: body))
    }

    public var count: Int { nodes.count }

    /// Runs every task, blocking until all have finished or been skipped. With `threads <= 1`
    /// tasks run on the calling thread in a deterministic topological order (insertion order
    /// among ready tasks), which is what `--threads=1` debugging wants.
    public func run(threads: Int = Parallel.threadCount) throws(LinkError) {
        let plan = try Plan(nodes)
        if threads <= 1 || nodes.count <= 1 {
            try runSerially(plan)
        } else {
            let execution = Execution(nodes: nodes, plan: plan, threads: threads)
            // Tasks run side by side on Dispatch's threads; their loops share those threads
            // too (see `Parallel.runChunks`) rather than add the worker pool's.
            Parallel.tasksRunning.add(1, ordering: .relaxed)
            defer { Parallel.tasksRunning.subtract(1, ordering: .relaxed) }
            try execution.run()
        }
    }

    private func runSerially(_ plan: Plan) throws(LinkError) {
        var failed = [Bool](repeating: false, count: nodes.count)  // failed or skipped
        var failures: [TaskFailure] = []
        for i in plan.order {
            if plan.deps[i].contains(where: { failed[$0] }) { failed[i] = true; continue }
            if let message = runTask(nodes[i]) {
                failed[i] = true
                failures.append(TaskFailure(task: i, message: message))
            }
        }
        if !failures.isEmpty { throw failureReport(failures, nodes, plan) }
    }
}

private struct TaskFailure {
    let task: Int
    let message: String
}

/// One line per failed task, in insertion order (independent of scheduling), each naming the
/// tasks that were not run because of it.
private func failureReport(_ failures: [TaskFailure], _ nodes: [TaskGraph.Node], _ plan: Plan) -> LinkError {
    let lines = failures.sorted { $0.task < $1.task }.map { f -> String in
        let skipped = plan.transitiveDependents(of: f.task).map { nodes[$0].name }
        var line = "task '\(nodes[f.task].name)' failed: \(f.message)"
        if !skipped.isEmpty { line += " (not run: \(skipped.joined(separator: ", ")))" }
        return line
    }
    return LinkError(lines.joined(separator: "\n"))
}

/// Runs one task body inside a trace span; returns the error message if it threw.
private func runTask(_ node: TaskGraph.Node) -> String? {
    do {
        try PhaseTimer.shared.span(node.name, node.body)
        return nil
    } catch let e as LinkError {
        return e.message
    } catch {
        return "\(error)"
    }
}

/// The validated graph: dependency and dependent lists by index, and a topological order.
private struct Plan {
    var deps: [[Int]]
    var dependents: [[Int]]
    var order: [Int]

    init(_ nodes: [TaskGraph.Node]) throws(LinkError) {
        var index: [String: Int] = [:]
        for (i, n) in nodes.enumerated() {
            if index.updateValue(i, forKey: n.name) != nil {
                throw LinkError("duplicate task name '\(n.name)'")
            }
        }
        deps = []
        dependents = [[Int]](repeating: [], count: nodes.count)
        for (i, n) in nodes.enumerated() {
            var list: [Int] = []
            for d in n.deps {
                guard let j = index[d] else {
                    throw LinkError("task '\(n.name)' depends on unknown task '\(d)'")
                }
                if !list.contains(j) { list.append(j); dependents[j].append(i) }
            }
            deps.append(list)
        }
        // Kahn's algorithm, FIFO, seeded in insertion order: deterministic.
        var pending = deps.map(\.count)
        order = (0..<nodes.count).filter { pending[$0] == 0 }
        var head = 0
        while head < order.count {
            let i = order[head]; head += 1
            for j in dependents[i] {
                pending[j] -= 1
                if pending[j] == 0 { order.append(j) }
            }
        }
        if order.count < nodes.count {
            let cycle = Plan.findCycle(deps: deps, pending: pending).map { nodes[$0].name }
            throw LinkError("dependency cycle between tasks: \(cycle.joined(separator: " -> "))"
                + " (each depends on the next)")
        }
    }

    /// Tasks left with `pending > 0` after Kahn's algorithm all wait on another such task, so
    /// walking from one of them along unfinished dependencies must come back to a task already
    /// seen; the walk from there is a cycle. Returned closed: [a, b, a].
    static func findCycle(deps: [[Int]], pending: [Int]) -> [Int] {
        var position = [Int](repeating: -1, count: deps.count)
        var path: [Int] = []
        var i = pending.firstIndex(where: { $0 > 0 })!
        while position[i] < 0 {
            position[i] = path.count
            path.append(i)
            i = deps[i].first(where: { pending[$0] > 0 })!
        }
        return Array(path[position[i]...]) + [i]
    }

    /// Everything that depends on `task`, directly or not, in insertion order.
    func transitiveDependents(of task: Int) -> [Int] {
        var seen = [Bool](repeating: false, count: deps.count)
        var stack = [task]
        while let i = stack.popLast() {
            for j in dependents[i] where !seen[j] { seen[j] = true; stack.append(j) }
        }
        return (0..<deps.count).filter { seen[$0] }
    }
}

/// The parallel run. State changes under one mutex (taken twice per task: tasks are coarse);
/// tasks are started with `async` on the global queue so no thread sits idle waiting for work,
/// and the caller waits on a group that every started task joins before its parent leaves.
private final class Execution: @unchecked Sendable {
    struct State {
        var pending: [Int]
        var blocked: [Bool]  // a dependency failed or was skipped: never run
        var ready: [Int]
        var readyHead = 0
        var running = 0
        var failures: [TaskFailure] = []
    }

    let nodes: [TaskGraph.Node]
    let plan: Plan
    let threads: Int
    let state: Mutex<State>
    let group = DispatchGroup()

    init(nodes: [TaskGraph.Node], plan: Plan, threads: Int) {
        self.nodes = nodes
        self.plan = plan
        self.threads = threads
        let pending = plan.deps.map(\.count)
        state = Mutex(State(pending: pending, blocked: [Bool](repeating: false, count: nodes.count),
                            ready: (0..<nodes.count).filter { pending[$0] == 0 }))
    }

    func run() throws(LinkError) {
        launch(state.withLock { takeReady(&$0) })
        group.wait()
        let failures = state.withLock { $0.failures }
        if !failures.isEmpty { throw failureReport(failures, nodes, plan) }
    }

    /// Claims as many ready tasks as the thread budget allows.
    private func takeReady(_ s: inout State) -> [Int] {
        var taken: [Int] = []
        while s.running < threads && s.readyHead < s.ready.count {
            taken.append(s.ready[s.readyHead])
            s.readyHead += 1
            s.running += 1
        }
        return taken
    }

    private func launch(_ tasks: [Int]) {
        for i in tasks {
            DispatchQueue.global().async(group: group) { [self] in
                let message = runTask(nodes[i])
                launch(state.withLock { s in finish(i, message, &s) })
            }
        }
    }

    private func finish(_ i: Int, _ message: String?, _ s: inout State) -> [Int] {
        s.running -= 1
        if let message {
            s.failures.append(TaskFailure(task: i, message: message))
            for j in plan.transitiveDependents(of: i) { s.blocked[j] = true }
        }
        for j in plan.dependents[i] {
            s.pending[j] -= 1
            if s.pending[j] == 0 && !s.blocked[j] { s.ready.append(j) }
        }
        return takeReady(&s)
    }
}
