namespace Federation.Simulator;

/// <summary>Kinds of simulation events, in the order they are handled at equal times.</summary>
internal enum EventKind
{
    /// <summary>A running job ends and frees its accelerators.</summary>
    Completion = 0,

    /// <summary>A job's dataset has arrived in the target region: it joins that region's queue.</summary>
    DataArrived = 1,

    /// <summary>A lent job's grace period is over: its region takes the accelerators back and the job is requeued.</summary>
    Reclaim = 2,
}

internal readonly record struct SimEvent(double Time, EventKind Kind, long Seq, int Job, int Region);

/// <summary>Binary min-heap on (time, kind, sequence): ties resolve deterministically.</summary>
internal sealed class EventHeap
{
    private SimEvent[] _items = new SimEvent[1024];
    private long _seq;

    public int Count { get; private set; }

    public double PeekTime => _items[0].Time;

    public void Push(double time, EventKind kind, int job, int region)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var e = new SimEvent(time, kind, _seq++, job, region);
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Less(in e, in _items[parent]))
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = e;
    }

    public SimEvent Pop()
    {
        var top = _items[0];
        var last = _items[--Count];
        var i = 0;
        while (true)
        {
            var l = (2 * i) + 1;
            if (l >= Count)
            {
                break;
            }

            var c = l + 1 < Count && Less(in _items[l + 1], in _items[l]) ? l + 1 : l;
            if (!Less(in _items[c], in last))
            {
                break;
            }

            _items[i] = _items[c];
            i = c;
        }

        if (Count > 0)
        {
            _items[i] = last;
        }

        return top;
    }

    private static bool Less(in SimEvent a, in SimEvent b) =>
        a.Time < b.Time || (a.Time == b.Time && (a.Kind < b.Kind || (a.Kind == b.Kind && a.Seq < b.Seq)));
}
