// The work queue's waiting lists (queue.ts): an intrusive doubly linked FIFO, so push, pop and
// removal of any node (promotion from LOW to HIGH, forget) are O(1).

/** The links a node carries (intrusive: no wrapper object per entry). */
export interface Linked<N> {
  prev: N | undefined;
  next: N | undefined;
  /** The list the node is on, if any. */
  list: { remove(n: N): void } | undefined;
}

export class Fifo<N extends Linked<N>> {
  head: N | undefined;
  tail: N | undefined;
  size = 0;

  push(n: N): void {
    n.prev = this.tail;
    n.next = undefined;
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
    n.list = this;
    this.size++;
  }

  remove(n: N): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = undefined;
    n.list = undefined;
    this.size--;
  }

  clear(): void {
    this.head = this.tail = undefined;
    this.size = 0;
  }

  shift(): N | undefined {
    const n = this.head;
    if (n) this.remove(n);
    return n;
  }
}
