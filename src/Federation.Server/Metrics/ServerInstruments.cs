using System.Diagnostics.Metrics;
using Federation.Grains.Diagnostics;

namespace Federation.Server.Metrics;

/// <summary>The server's own meter, <c>Federation.Server</c>: submissions through the API and their latency.</summary>
public sealed class ServerInstruments
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Federation.Server";

    /// <summary>Jobs created through <c>POST /api/jobs</c>.</summary>
    public const string JobsSubmitted = "federation.server.jobs.submitted";

    /// <summary>Idempotent repeats of a submission (answered 200, nothing changed).</summary>
    public const string JobsRepeated = "federation.server.jobs.repeated";

    /// <summary>Submissions refused with a 4xx answer.</summary>
    public const string JobsRejected = "federation.server.jobs.rejected";

    /// <summary>Time from reading the request to having the placed and stored job, in seconds.</summary>
    public const string SubmitDuration = "federation.server.submit.duration";

    private readonly Counter<long> _submitted;
    private readonly Counter<long> _repeated;
    private readonly Counter<long> _rejected;
    private readonly Histogram<double> _duration;

    public ServerInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _submitted = meter.CreateCounter<long>(JobsSubmitted, "{job}", "Jobs created through POST /api/jobs");
        _repeated = meter.CreateCounter<long>(JobsRepeated, "{job}", "Idempotent repeats of a submission");
        _rejected = meter.CreateCounter<long>(JobsRejected, "{job}", "Submissions refused with a 4xx answer");
        _duration = meter.CreateHistogram(
            SubmitDuration,
            "s",
            "POST /api/jobs: body read to placed and stored job",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GrainsInstruments.LatencyBucketsSeconds });
    }

    internal void Submitted(bool created, TimeSpan elapsed)
    {
        (created ? _submitted : _repeated).Add(1);
        _duration.Record(elapsed.TotalSeconds);
    }

    internal void Rejected() => _rejected.Add(1);
}
