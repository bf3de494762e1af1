using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Federation.Contracts;

namespace Federation.Grains.Jobs;

/// <summary>
/// The JSON of a job's row, written and read by hand, and compact: a row is written at every transition, and an
/// in-memory silo keeps one per job, queued jobs included, so its size is heap the GC copies and pages the kernel
/// faults in. Compared with what System.Text.Json would write for <see cref="JobRecord"/>:
/// <list type="bullet">
/// <item>members that hold nothing (nulls, zeros, empty lists) are left out;</item>
/// <item>the placement's scores are arrays <c>[region, start delay s, transfer s, penalty s, excluded because, not used
/// because]</c> without the trailing defaults, rounded to 0.1 ms (<c>"Scores"</c>);</item>
/// <item>history entries are arrays <c>[kind, seconds after submission, region, transfer s, message, accelerator type]</c>
/// (rows written before the type was kept end at the message, and read with no type), and the times
/// after <c>SubmittedAt</c> are seconds after it (<c>"QueuedAfter"</c>, ...),
/// exact to the 100 ns tick for three years after submission.</item>
/// </list>
/// </summary>
public sealed partial class JobRecordJsonConverter : JsonConverter<JobRecord>
{
    private const double TicksPerSecond = TimeSpan.TicksPerSecond;

    public override void Write(Utf8JsonWriter writer, JobRecord value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        var origin = value.SubmittedAt;
        writer.WriteStartObject();
        if (value.Request is { } request)
        {
            writer.WritePropertyName(Names.Request);
            WriteRequest(writer, request);
        }

        writer.WriteString(Names.State, value.State.ToString());
        WriteIfSet(writer, Names.Region, value.Region);
        WriteIfSet(writer, Names.Reason, value.Reason);
        if (value.Placement is { } placement)
        {
            writer.WritePropertyName(Names.Placement);
            WriteDecision(writer, placement);
        }

        writer.WriteString(Names.SubmittedAt, origin);
        WriteAfter(writer, Names.QueuedAfter, value.QueuedAt, origin);
        WriteAfter(writer, Names.DataReadyAfter, value.DataReadyAt, origin);
        WriteAfter(writer, Names.StartedAfter, value.StartedAt, origin);
        WriteAfter(writer, Names.EndedAfter, value.EndedAt, origin);
        WriteIfSet(writer, Names.BackendJobId, value.BackendJobId);
        if (value.ExitCode is { } exitCode)
        {
            writer.WriteNumber(Names.ExitCode, exitCode);
        }

        WriteIfSet(writer, Names.BackendReason, value.BackendReason);
        if (value.Reclaim is { } reclaim)
        {
            // Rare (a lent run being taken back): whole times, not seconds after the submission.
            writer.WriteStartObject(Names.Reclaim);
            writer.WriteString(Names.Region, reclaim.Region);
            writer.WriteString(Names.RunStartedAt, reclaim.StartedAt);
            writer.WriteString(Names.SignalledAt, reclaim.SignalledAt);
            writer.WriteString(Names.ReclaimAt, reclaim.ReclaimAt);
            WriteIfSet(writer, Names.ForJobId, reclaim.ForJobId);
            writer.WriteEndObject();
        }

        writer.WriteStartArray(Names.History);
        foreach (var e in value.History)
        {
            writer.WriteStartArray();
            writer.WriteStringValue(e.Kind);
            writer.WriteNumberValue(SecondsAfter(e.At, origin));
            var last = e.Residency is not null ? 7 : e.AcceleratorType is not null ? 5 : e.Message is not null ? 4 : e.TransferSeconds != 0 ? 3 : e.Region is not null ? 2 : 1;
            if (last >= 2)
            {
                WriteStringOrNull(writer, e.Region);
            }

            if (last >= 3)
            {
                WriteSecondsValue(writer, e.TransferSeconds);
            }

            if (last >= 4)
            {
                WriteStringOrNull(writer, e.Message);
            }

            if (last >= 5)
            {
                WriteStringOrNull(writer, e.AcceleratorType);
            }

            if (e.Residency is { } residency)
            {
                writer.WriteStringValue(residency.Class);
                writer.WriteStartArray();
                foreach (var r in residency.Regions)
                {
                    writer.WriteStringValue(r);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteRequest(Utf8JsonWriter writer, JobRequest r)
    {
        writer.WriteStartObject();
        WriteIfSet(writer, Names.Id, r.Id);
        writer.WriteString(Names.Project, r.Project);
        writer.WriteString(Names.Owner, r.Owner);
        writer.WriteString(Names.HomeRegion, r.HomeRegion);
        writer.WriteStartObject(Names.Accelerators);
        writer.WriteNumber(Names.Count, r.Accelerators.Count);
        WriteStringsIfAny(writer, Names.Types, r.Accelerators.Types);
        if (r.Accelerators.MinMemoryGb != 0)
        {
            writer.WriteNumber(Names.MinMemoryGb, r.Accelerators.MinMemoryGb);
        }

        writer.WriteEndObject();
        writer.WriteNumber(Names.DurationHours, r.DurationHours);
        if (r.Dataset is { } dataset)
        {
            writer.WriteStartObject(Names.Dataset);
            writer.WriteString(Names.Region, dataset.Region);
            writer.WriteNumber(Names.SizeGb, dataset.SizeGb);
            WriteIfSet(writer, Names.Residency, dataset.Residency);
            writer.WriteEndObject();
        }

        WriteStringsIfAny(writer, Names.AllowedRegions, r.AllowedRegions);
        if (r.Priority != 0)
        {
            writer.WriteNumber(Names.Priority, r.Priority);
        }

        if (r.Run is { } run)
        {
            writer.WriteStartObject(Names.Run);
            writer.WriteString(Names.Script, run.Script);
            WriteIfSet(writer, Names.Image, run.Image);
            if (run.Environment is { Count: > 0 } environment)
            {
                writer.WriteStartObject(Names.Environment);
                foreach (var (name, value) in environment.OrderBy(static e => e.Key, StringComparer.Ordinal))
                {
                    writer.WriteString(name, value);
                }

                writer.WriteEndObject();
            }

            WriteIfSet(writer, Names.WorkingDirectory, run.WorkingDirectory);
            WriteIfSet(writer, Names.CheckpointSignal, run.CheckpointSignal);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteDecision(Utf8JsonWriter writer, PlacementDecision d)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Policy, d.Policy);
        WriteIfSet(writer, Names.ChosenRegion, d.ChosenRegion);
        writer.WriteStartArray(Names.Scores);
        if (!d.Candidates.IsDefault)
        {
            foreach (var c in d.Candidates)
            {
                writer.WriteStartArray();
                writer.WriteStringValue(c.Region);
                if (c.ExpectedStartDelaySeconds is { } start)
                {
                    WriteSecondsValue(writer, start);
                }
                else
                {
                    writer.WriteNullValue();
                }

                WriteSecondsValue(writer, c.TransferSeconds);
                var last = c.NotUsedBecause is not null ? 5 : c.ExcludedBecause is not null ? 4 : c.PenaltySeconds != 0 ? 3 : 2;
                if (last >= 3)
                {
                    WriteSecondsValue(writer, c.PenaltySeconds);
                }

                if (last >= 4)
                {
                    WriteStringOrNull(writer, c.ExcludedBecause);
                }

                if (last >= 5)
                {
                    writer.WriteStringValue(c.NotUsedBecause);
                }

                writer.WriteEndArray();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Seconds from <paramref name="origin"/> to <paramref name="at"/>, exact to the tick (<see cref="FromSecondsAfter"/>).</summary>
    private static double SecondsAfter(DateTimeOffset at, DateTimeOffset origin) => (at.UtcTicks - origin.UtcTicks) / TicksPerSecond;

    private static DateTimeOffset FromSecondsAfter(double seconds, DateTimeOffset origin) =>
        new(origin.UtcTicks + (long)Math.Round(seconds * TicksPerSecond), TimeSpan.Zero);

    private static void WriteAfter(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset? at, DateTimeOffset origin)
    {
        if (at is { } t)
        {
            writer.WriteNumber(name, SecondsAfter(t, origin));
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    private static void WriteStringsIfAny(Utf8JsonWriter writer, JsonEncodedText name, ImmutableArray<string> values)
    {
        if (values.IsDefaultOrEmpty)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteStringValue(v);
        }

        writer.WriteEndArray();
    }

    /// <summary>Seconds rounded to 0.1 ms (shorter rows, cheaper to format); infinities as JSON's named literals.</summary>
    private static void WriteSecondsValue(Utf8JsonWriter writer, double seconds)
    {
        if (double.IsFinite(seconds))
        {
            writer.WriteNumberValue(Math.Round(seconds, 4));
        }
        else
        {
            writer.WriteStringValue(seconds.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Property names, encoded once.</summary>
    private static class Names
    {
        public static readonly JsonEncodedText Request = JsonEncodedText.Encode(nameof(JobRecord.Request));
        public static readonly JsonEncodedText State = JsonEncodedText.Encode(nameof(JobRecord.State));
        public static readonly JsonEncodedText Region = JsonEncodedText.Encode(nameof(JobRecord.Region));
        public static readonly JsonEncodedText Reason = JsonEncodedText.Encode(nameof(JobRecord.Reason));
        public static readonly JsonEncodedText Placement = JsonEncodedText.Encode(nameof(JobRecord.Placement));
        public static readonly JsonEncodedText History = JsonEncodedText.Encode(nameof(JobRecord.History));
        public static readonly JsonEncodedText SubmittedAt = JsonEncodedText.Encode(nameof(JobRecord.SubmittedAt));
        public static readonly JsonEncodedText QueuedAfter = JsonEncodedText.Encode("QueuedAfter");
        public static readonly JsonEncodedText DataReadyAfter = JsonEncodedText.Encode("DataReadyAfter");
        public static readonly JsonEncodedText StartedAfter = JsonEncodedText.Encode("StartedAfter");
        public static readonly JsonEncodedText EndedAfter = JsonEncodedText.Encode("EndedAfter");
        public static readonly JsonEncodedText BackendJobId = JsonEncodedText.Encode(nameof(JobRecord.BackendJobId));
        public static readonly JsonEncodedText ExitCode = JsonEncodedText.Encode(nameof(JobRecord.ExitCode));
        public static readonly JsonEncodedText BackendReason = JsonEncodedText.Encode(nameof(JobRecord.BackendReason));

        public static readonly JsonEncodedText Id = JsonEncodedText.Encode(nameof(JobRequest.Id));
        public static readonly JsonEncodedText Project = JsonEncodedText.Encode(nameof(JobRequest.Project));
        public static readonly JsonEncodedText Owner = JsonEncodedText.Encode(nameof(JobRequest.Owner));
        public static readonly JsonEncodedText HomeRegion = JsonEncodedText.Encode(nameof(JobRequest.HomeRegion));
        public static readonly JsonEncodedText Accelerators = JsonEncodedText.Encode(nameof(JobRequest.Accelerators));
        public static readonly JsonEncodedText Count = JsonEncodedText.Encode(nameof(AcceleratorRequest.Count));
        public static readonly JsonEncodedText Types = JsonEncodedText.Encode(nameof(AcceleratorRequest.Types));
        public static readonly JsonEncodedText MinMemoryGb = JsonEncodedText.Encode(nameof(AcceleratorRequest.MinMemoryGb));
        public static readonly JsonEncodedText DurationHours = JsonEncodedText.Encode(nameof(JobRequest.DurationHours));
        public static readonly JsonEncodedText Dataset = JsonEncodedText.Encode(nameof(JobRequest.Dataset));
        public static readonly JsonEncodedText SizeGb = JsonEncodedText.Encode(nameof(DatasetRef.SizeGb));
        public static readonly JsonEncodedText Residency = JsonEncodedText.Encode(nameof(DatasetRef.Residency));
        public static readonly JsonEncodedText AllowedRegions = JsonEncodedText.Encode(nameof(JobRequest.AllowedRegions));
        public static readonly JsonEncodedText Priority = JsonEncodedText.Encode(nameof(JobRequest.Priority));
        public static readonly JsonEncodedText Run = JsonEncodedText.Encode(nameof(JobRequest.Run));
        public static readonly JsonEncodedText Script = JsonEncodedText.Encode(nameof(JobRun.Script));
        public static readonly JsonEncodedText Image = JsonEncodedText.Encode(nameof(JobRun.Image));
        public static readonly JsonEncodedText Environment = JsonEncodedText.Encode(nameof(JobRun.Environment));
        public static readonly JsonEncodedText WorkingDirectory = JsonEncodedText.Encode(nameof(JobRun.WorkingDirectory));
        public static readonly JsonEncodedText CheckpointSignal = JsonEncodedText.Encode(nameof(JobRun.CheckpointSignal));

        public static readonly JsonEncodedText Reclaim = JsonEncodedText.Encode(nameof(JobRecord.Reclaim));
        public static readonly JsonEncodedText RunStartedAt = JsonEncodedText.Encode(nameof(RunReclaim.StartedAt));
        public static readonly JsonEncodedText SignalledAt = JsonEncodedText.Encode(nameof(RunReclaim.SignalledAt));
        public static readonly JsonEncodedText ReclaimAt = JsonEncodedText.Encode(nameof(RunReclaim.ReclaimAt));
        public static readonly JsonEncodedText ForJobId = JsonEncodedText.Encode(nameof(RunReclaim.ForJobId));

        public static readonly JsonEncodedText Policy = JsonEncodedText.Encode(nameof(PlacementDecision.Policy));
        public static readonly JsonEncodedText ChosenRegion = JsonEncodedText.Encode(nameof(PlacementDecision.ChosenRegion));
        public static readonly JsonEncodedText Scores = JsonEncodedText.Encode("Scores");
    }
}
