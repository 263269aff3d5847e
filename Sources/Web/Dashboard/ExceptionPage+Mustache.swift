import Mustache

// Field lookup without Mirror: swift-mustache reflects a plain struct on every lookup, which
// cost half of a page's render time (measured by causeway-bench --pages-only under perf).

extension ExceptionPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": self.chrome
        case "id": self.id
        case "summary": self.summary
        case "exceptionClass": self.exceptionClass
        case "category": self.category
        case "severity": self.severity
        case "status": self.status
        case "owner": self.owner
        case "occurrences": self.occurrences
        case "opened": self.opened
        case "openedAgo": self.openedAgo
        case "dueAt": self.dueAt
        case "due": self.due
        case "breached": self.breached
        case "decision": self.decision
        case "decided": self.decided
        case "workflowHref": self.workflowHref
        case "workflowID": self.workflowID
        case "mergedInto": self.mergedInto
        case "path": self.path
        case "hasPath": self.hasPath
        case "receipts": self.receipts
        case "hasReceipts": self.hasReceipts
        case "attempts": self.attempts
        case "retries": self.retries
        case "attemptsText": Counted.text(self.attempts, "attempt")
        case "retriesText": Counted.text(self.retries, "retry", plural: "retries")
        case "evidence": self.evidence
        case "history": self.history
        case "actions": self.actions
        case "canAct": self.canAct
        case "cannotActReason": self.cannotActReason
        case "actionURL": self.actionURL
        default: nil
        }
    }
}

extension ExceptionPage.Hop: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "spanID": self.spanID
        case "traceID": self.traceID
        case "traceShort": self.traceShort
        case "name": self.name
        case "service": self.service
        case "kind": self.kind
        case "status": self.status
        case "isError": self.isError
        case "relation": self.relation
        case "isLink": self.isLink
        case "isTrigger": self.isTrigger
        case "isPlaceholder": self.isPlaceholder
        case "duration": self.duration
        case "start": self.start
        case "attributes": self.attributes
        case "hasAttributes": self.hasAttributes
        case "children": self.children
        case "hasChildren": self.hasChildren
        default: nil
        }
    }
}

extension ExceptionPage.KeyValue: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "key": self.key
        case "value": self.value
        default: nil
        }
    }
}

extension ExceptionPage.Receipt: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "attempt": self.attempt
        case "tool": self.tool
        case "callID": self.callID
        case "failed": self.failed
        case "status": self.status
        case "errorType": self.errorType
        case "start": self.start
        case "spanID": self.spanID
        default: nil
        }
    }
}

extension ExceptionPage.Evidence: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "service": self.service
        case "statusMessage": self.statusMessage
        case "attributes": self.attributes
        case "events": self.events
        default: nil
        }
    }
}

extension ExceptionPage.EventLine: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "at": self.at
        case "attributes": self.attributes
        default: nil
        }
    }
}

extension ExceptionPage.HistoryLine: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": self.at
        case "ago": self.ago
        case "actor": self.actor
        case "action": self.action
        case "note": self.note
        case "owner": self.owner
        default: nil
        }
    }
}

extension ExceptionPage.Action: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "value": self.value
        case "label": self.label
        case "primary": self.primary
        case "danger": self.danger
        default: nil
        }
    }
}
