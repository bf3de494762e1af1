using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Federation.Contracts;

namespace Federation.Grains.Jobs;

/// <summary>Reading a job's row: the compact form <see cref="Write"/> writes. Unknown members are skipped.</summary>
public sealed partial class JobRecordJsonConverter
{
    private static readonly JobState[] States = Enum.GetValues<JobState>();

    public override JobRecord Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var record = new JobRecord();
        double? queuedAfter = null, readyAfter = null, startedAfter = null, endedAfter = null;
        List<double>? historyAfter = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Request.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Request = reader.TokenType == JsonTokenType.Null ? null : ReadRequest(ref reader);
            }
            else if (reader.ValueTextEquals(Names.State.EncodedUtf8Bytes))
            {
                reader.Read();
                record.State = ReadState(ref reader);
            }
            else if (reader.ValueTextEquals(Names.Region.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Region = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.Reason.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Reason = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.Placement.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Placement = reader.TokenType == JsonTokenType.Null ? null : ReadDecision(ref reader);
            }
            else if (reader.ValueTextEquals(Names.History.EncodedUtf8Bytes))
            {
                reader.Read();
                historyAfter = ReadHistory(ref reader, record.History);
            }
            else if (reader.ValueTextEquals(Names.SubmittedAt.EncodedUtf8Bytes))
            {
                reader.Read();
                record.SubmittedAt = reader.GetDateTimeOffset();
            }
            else if (reader.ValueTextEquals(Names.QueuedAfter.EncodedUtf8Bytes))
            {
                queuedAfter = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals(Names.DataReadyAfter.EncodedUtf8Bytes))
            {
                readyAfter = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals(Names.StartedAfter.EncodedUtf8Bytes))
            {
                startedAfter = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals(Names.EndedAfter.EncodedUtf8Bytes))
            {
                endedAfter = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals(Names.BackendJobId.EncodedUtf8Bytes))
            {
                reader.Read();
                record.BackendJobId = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.ExitCode.EncodedUtf8Bytes))
            {
                reader.Read();
                record.ExitCode = reader.TokenType == JsonTokenType.Null ? null : reader.GetInt32();
            }
            else if (reader.ValueTextEquals(Names.BackendReason.EncodedUtf8Bytes))
            {
                reader.Read();
                record.BackendReason = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.Reclaim.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Reclaim = reader.TokenType == JsonTokenType.Null ? null : ReadReclaim(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Times after the submission are resolved once it is known, wherever it stood in the document.
        var origin = record.SubmittedAt;
        record.QueuedAt = queuedAfter is { } q ? FromSecondsAfter(q, origin) : null;
        record.DataReadyAt = readyAfter is { } d ? FromSecondsAfter(d, origin) : null;
        record.StartedAt = startedAfter is { } s ? FromSecondsAfter(s, origin) : null;
        record.EndedAt = endedAfter is { } e ? FromSecondsAfter(e, origin) : null;
        if (historyAfter is not null)
        {
            for (var i = 0; i < historyAfter.Count; i++)
            {
                record.History[i] = record.History[i] with { At = FromSecondsAfter(historyAfter[i], origin) };
            }
        }

        return record;
    }

    private static JobRequest ReadRequest(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        string? id = null;
        var project = "";
        var owner = "";
        var home = "";
        var accelerators = new AcceleratorRequest();
        double hours = 0;
        DatasetRef? dataset = null;
        ImmutableArray<string> allowed = [];
        var priority = 0;
        JobRun? run = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Id.EncodedUtf8Bytes))
            {
                reader.Read();
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.Project.EncodedUtf8Bytes))
            {
                reader.Read();
                project = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(Names.Owner.EncodedUtf8Bytes))
            {
                reader.Read();
                owner = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(Names.HomeRegion.EncodedUtf8Bytes))
            {
                reader.Read();
                home = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(Names.Accelerators.EncodedUtf8Bytes))
            {
                reader.Read();
                accelerators = ReadAccelerators(ref reader);
            }
            else if (reader.ValueTextEquals(Names.DurationHours.EncodedUtf8Bytes))
            {
                hours = ReadNumber(ref reader);
            }
            else if (reader.ValueTextEquals(Names.Dataset.EncodedUtf8Bytes))
            {
                reader.Read();
                dataset = reader.TokenType == JsonTokenType.Null ? null : ReadDataset(ref reader);
            }
            else if (reader.ValueTextEquals(Names.AllowedRegions.EncodedUtf8Bytes))
            {
                reader.Read();
                allowed = ReadStrings(ref reader);
            }
            else if (reader.ValueTextEquals(Names.Priority.EncodedUtf8Bytes))
            {
                reader.Read();
                priority = reader.GetInt32();
            }
            else if (reader.ValueTextEquals(Names.Run.EncodedUtf8Bytes))
            {
                reader.Read();
                run = reader.TokenType == JsonTokenType.Null ? null : ReadRun(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new JobRequest
        {
            Id = id,
            Project = project,
            Owner = owner,
            HomeRegion = home,
            Accelerators = accelerators,
            DurationHours = hours,
            Dataset = dataset,
            AllowedRegions = allowed,
            Priority = priority,
            Run = run,
        };
    }

    private static JobRun ReadRun(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var script = "";
        string? image = null, directory = null, signal = null;
        ImmutableDictionary<string, string>? environment = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Script.EncodedUtf8Bytes))
            {
                reader.Read();
                script = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(Names.Image.EncodedUtf8Bytes))
            {
                reader.Read();
                image = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.WorkingDirectory.EncodedUtf8Bytes))
            {
                reader.Read();
                directory = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.CheckpointSignal.EncodedUtf8Bytes))
            {
                reader.Read();
                signal = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.Environment.EncodedUtf8Bytes))
            {
                reader.Read();
                Expect(ref reader, JsonTokenType.StartObject);
                var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                while (NextProperty(ref reader))
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    builder[name] = reader.GetString() ?? "";
                }

                environment = builder.ToImmutable();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new JobRun { Script = script, Image = image, Environment = environment, WorkingDirectory = directory, CheckpointSignal = signal };
    }

    private static RunReclaim ReadReclaim(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var reclaim = new RunReclaim();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Region.EncodedUtf8Bytes))
            {
                reader.Read();
                reclaim = reclaim with { Region = reader.GetString() ?? "" };
            }
            else if (reader.ValueTextEquals(Names.RunStartedAt.EncodedUtf8Bytes))
            {
                reader.Read();
                reclaim = reclaim with { StartedAt = reader.GetDateTimeOffset() };
            }
            else if (reader.ValueTextEquals(Names.SignalledAt.EncodedUtf8Bytes))
            {
                reader.Read();
                reclaim = reclaim with { SignalledAt = reader.GetDateTimeOffset() };
            }
            else if (reader.ValueTextEquals(Names.ReclaimAt.EncodedUtf8Bytes))
            {
                reader.Read();
                reclaim = reclaim with { ReclaimAt = reader.GetDateTimeOffset() };
            }
            else if (reader.ValueTextEquals(Names.ForJobId.EncodedUtf8Bytes))
            {
                reader.Read();
                reclaim = reclaim with { ForJobId = reader.GetString() };
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return reclaim;
    }

    private static AcceleratorRequest ReadAccelerators(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var count = 0;
        var memory = 0;
        ImmutableArray<string> types = [];
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Count.EncodedUtf8Bytes))
            {
                reader.Read();
                count = reader.GetInt32();
            }
            else if (reader.ValueTextEquals(Names.Types.EncodedUtf8Bytes))
            {
                reader.Read();
                types = ReadStrings(ref reader);
            }
            else if (reader.ValueTextEquals(Names.MinMemoryGb.EncodedUtf8Bytes))
            {
                reader.Read();
                memory = reader.GetInt32();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new AcceleratorRequest { Count = count, Types = types, MinMemoryGb = memory };
    }

    private static DatasetRef ReadDataset(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var region = "";
        string? residency = null;
        double size = 0;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Region.EncodedUtf8Bytes))
            {
                reader.Read();
                region = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(Names.Residency.EncodedUtf8Bytes))
            {
                reader.Read();
                residency = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.SizeGb.EncodedUtf8Bytes))
            {
                size = ReadNumber(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new DatasetRef { Region = region, SizeGb = size, Residency = residency };
    }

    private static PlacementDecision ReadDecision(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var policy = "";
        string? chosen = null;
        ImmutableArray<RegionScore> candidates = [];
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(Names.Policy.EncodedUtf8Bytes))
            {
                reader.Read();
                policy = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(Names.ChosenRegion.EncodedUtf8Bytes))
            {
                reader.Read();
                chosen = reader.GetString();
            }
            else if (reader.ValueTextEquals(Names.Scores.EncodedUtf8Bytes))
            {
                reader.Read();
                candidates = ReadScores(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new PlacementDecision { Policy = policy, ChosenRegion = chosen, Candidates = candidates };
    }

    private static ImmutableArray<RegionScore> ReadScores(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var builder = ImmutableArray.CreateBuilder<RegionScore>(4);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Expect(ref reader, JsonTokenType.StartArray);
            builder.Add(ReadScoreArray(ref reader));
        }

        return builder.DrainToImmutable();
    }

    /// <summary><c>[region, start delay s or null, transfer s, penalty s, excluded because, not used because]</c>, trailing defaults omitted.</summary>
    private static RegionScore ReadScoreArray(ref Utf8JsonReader reader)
    {
        var region = "";
        double? start = null;
        double transfer = 0, penalty = 0;
        string? excluded = null, notUsed = null;
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            switch (i)
            {
                case 0:
                    region = reader.GetString() ?? "";
                    break;
                case 1:
                    start = reader.TokenType == JsonTokenType.Null ? null : NumberHere(ref reader);
                    break;
                case 2:
                    transfer = NumberHere(ref reader);
                    break;
                case 3:
                    penalty = NumberHere(ref reader);
                    break;
                case 4:
                    excluded = reader.GetString();
                    break;
                case 5:
                    notUsed = reader.GetString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new RegionScore
        {
            Region = region,
            ExpectedStartDelaySeconds = start,
            TransferSeconds = transfer,
            PenaltySeconds = penalty,
            ExcludedBecause = excluded,
            NotUsedBecause = notUsed,
        };
    }

    /// <summary>Reads the entries; returns their times in seconds after submission.</summary>
    private static List<double>? ReadHistory(ref Utf8JsonReader reader, List<JobHistoryEntry> history)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var after = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Expect(ref reader, JsonTokenType.StartArray);
            history.Add(ReadEntryArray(ref reader, out var seconds));
            after.Add(seconds);
        }

        return after;
    }

    /// <summary><c>[kind, seconds after submission, region, transfer s, message, accelerator type, residency class, [its regions]]</c>, trailing defaults omitted.</summary>
    private static JobHistoryEntry ReadEntryArray(ref Utf8JsonReader reader, out double after)
    {
        var kind = "";
        after = 0;
        string? region = null, message = null, acceleratorType = null, residencyClass = null;
        var residencyRegions = System.Collections.Immutable.ImmutableArray<string>.Empty;
        double transfer = 0;
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            switch (i)
            {
                case 0:
                    kind = KnownKind(reader.GetString() ?? "");
                    break;
                case 1:
                    after = NumberHere(ref reader);
                    break;
                case 2:
                    region = reader.GetString();
                    break;
                case 3:
                    transfer = NumberHere(ref reader);
                    break;
                case 4:
                    message = reader.GetString();
                    break;
                case 5:
                    acceleratorType = reader.GetString();
                    break;
                case 6:
                    residencyClass = reader.GetString();
                    break;
                case 7:
                    residencyRegions = ReadStrings(ref reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new JobHistoryEntry
        {
            Kind = kind,
            Region = region,
            Message = message,
            TransferSeconds = transfer,
            AcceleratorType = acceleratorType,
            Residency = residencyClass is null ? null : new ResidencyCheck { Class = residencyClass, Regions = residencyRegions },
        };
    }

    /// <summary>The shared instance of a known event kind (rows are read back into memory; one string per event adds up).</summary>
    private static string KnownKind(string kind) => kind switch
    {
        JobEventKinds.Submitted => JobEventKinds.Submitted,
        JobEventKinds.Queued => JobEventKinds.Queued,
        JobEventKinds.Started => JobEventKinds.Started,
        JobEventKinds.Backend => JobEventKinds.Backend,
        JobEventKinds.Overflowed => JobEventKinds.Overflowed,
        JobEventKinds.Requeued => JobEventKinds.Requeued,
        JobEventKinds.Preempted => JobEventKinds.Preempted,
        JobEventKinds.Completed => JobEventKinds.Completed,
        JobEventKinds.Failed => JobEventKinds.Failed,
        JobEventKinds.Cancelled => JobEventKinds.Cancelled,
        _ => kind,
    };

    private static JobState ReadState(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return (JobState)reader.GetInt32();
        }

        foreach (var state in States)
        {
            if (reader.ValueTextEquals(state.ToString()))
            {
                return state;
            }
        }

        throw new JsonException($"unknown job state '{reader.GetString()}'");
    }

    private static ImmutableArray<string> ReadStrings(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        Expect(ref reader, JsonTokenType.StartArray);
        ImmutableArray<string>.Builder? builder = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            (builder ??= ImmutableArray.CreateBuilder<string>()).Add(reader.GetString() ?? "");
        }

        return builder is null ? [] : builder.DrainToImmutable();
    }

    /// <summary>Moves to the property's value and reads it as a number.</summary>
    private static double ReadNumber(ref Utf8JsonReader reader)
    {
        reader.Read();
        return NumberHere(ref reader);
    }

    /// <summary>The number at the reader, or the named literals (NaN, Infinity) rows may hold.</summary>
    private static double NumberHere(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String
            ? double.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
            : reader.GetDouble();

    private static bool NextProperty(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("a job row ends inside an object");
        }

        return reader.TokenType switch
        {
            JsonTokenType.PropertyName => true,
            JsonTokenType.EndObject => false,
            _ => throw new JsonException($"a job row has {reader.TokenType} where a property name belongs"),
        };
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (reader.TokenType != type)
        {
            throw new JsonException($"a job row has {reader.TokenType} where {type} belongs");
        }
    }
}
