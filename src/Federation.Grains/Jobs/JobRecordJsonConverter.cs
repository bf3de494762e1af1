using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Federation.Contracts;

namespace Federation.Grains.Jobs;

/// <summary>
/// The JSON of a job's row, written and read by hand. It is the same document System.Text.Json wrote for
/// <see cref="JobRecord"/> before (the same property names, so rows written by earlier versions read), without the
/// members that hold nothing (nulls, zero penalties, empty lists) and with the scores rounded to 0.1 ms. Every
/// placement writes a row, and the reflection-driven serializer cost several microseconds per row (metadata lookups,
/// boxing of each <see cref="RegionScore"/>, a write stack per call, shortest round-trip formatting of doubles).
/// </summary>
public sealed class JobRecordJsonConverter : JsonConverter<JobRecord>
{
    private static readonly JsonEncodedText RequestName = JsonEncodedText.Encode(nameof(JobRecord.Request));
    private static readonly JsonEncodedText StateName = JsonEncodedText.Encode(nameof(JobRecord.State));
    private static readonly JsonEncodedText RegionName = JsonEncodedText.Encode(nameof(JobRecord.Region));
    private static readonly JsonEncodedText ReasonName = JsonEncodedText.Encode(nameof(JobRecord.Reason));
    private static readonly JsonEncodedText PlacementName = JsonEncodedText.Encode(nameof(JobRecord.Placement));
    private static readonly JsonEncodedText HistoryName = JsonEncodedText.Encode(nameof(JobRecord.History));
    private static readonly JsonEncodedText SubmittedAtName = JsonEncodedText.Encode(nameof(JobRecord.SubmittedAt));
    private static readonly JsonEncodedText QueuedAtName = JsonEncodedText.Encode(nameof(JobRecord.QueuedAt));
    private static readonly JsonEncodedText DataReadyAtName = JsonEncodedText.Encode(nameof(JobRecord.DataReadyAt));
    private static readonly JsonEncodedText StartedAtName = JsonEncodedText.Encode(nameof(JobRecord.StartedAt));
    private static readonly JsonEncodedText EndedAtName = JsonEncodedText.Encode(nameof(JobRecord.EndedAt));

    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode(nameof(JobRequest.Id));
    private static readonly JsonEncodedText ProjectName = JsonEncodedText.Encode(nameof(JobRequest.Project));
    private static readonly JsonEncodedText OwnerName = JsonEncodedText.Encode(nameof(JobRequest.Owner));
    private static readonly JsonEncodedText HomeRegionName = JsonEncodedText.Encode(nameof(JobRequest.HomeRegion));
    private static readonly JsonEncodedText AcceleratorsName = JsonEncodedText.Encode(nameof(JobRequest.Accelerators));
    private static readonly JsonEncodedText CountName = JsonEncodedText.Encode(nameof(AcceleratorRequest.Count));
    private static readonly JsonEncodedText TypesName = JsonEncodedText.Encode(nameof(AcceleratorRequest.Types));
    private static readonly JsonEncodedText MinMemoryGbName = JsonEncodedText.Encode(nameof(AcceleratorRequest.MinMemoryGb));
    private static readonly JsonEncodedText DurationHoursName = JsonEncodedText.Encode(nameof(JobRequest.DurationHours));
    private static readonly JsonEncodedText DatasetName = JsonEncodedText.Encode(nameof(JobRequest.Dataset));
    private static readonly JsonEncodedText SizeGbName = JsonEncodedText.Encode(nameof(DatasetRef.SizeGb));
    private static readonly JsonEncodedText AllowedRegionsName = JsonEncodedText.Encode(nameof(JobRequest.AllowedRegions));
    private static readonly JsonEncodedText PriorityName = JsonEncodedText.Encode(nameof(JobRequest.Priority));

    private static readonly JsonEncodedText PolicyName = JsonEncodedText.Encode(nameof(PlacementDecision.Policy));
    private static readonly JsonEncodedText ChosenRegionName = JsonEncodedText.Encode(nameof(PlacementDecision.ChosenRegion));
    private static readonly JsonEncodedText CandidatesName = JsonEncodedText.Encode(nameof(PlacementDecision.Candidates));
    private static readonly JsonEncodedText ExcludedBecauseName = JsonEncodedText.Encode(nameof(RegionScore.ExcludedBecause));
    private static readonly JsonEncodedText NotUsedBecauseName = JsonEncodedText.Encode(nameof(RegionScore.NotUsedBecause));
    private static readonly JsonEncodedText StartDelayName = JsonEncodedText.Encode(nameof(RegionScore.ExpectedStartDelaySeconds));
    private static readonly JsonEncodedText TransferSecondsName = JsonEncodedText.Encode(nameof(RegionScore.TransferSeconds));
    private static readonly JsonEncodedText PenaltySecondsName = JsonEncodedText.Encode(nameof(RegionScore.PenaltySeconds));

    private static readonly JsonEncodedText AtName = JsonEncodedText.Encode(nameof(JobHistoryEntry.At));
    private static readonly JsonEncodedText KindName = JsonEncodedText.Encode(nameof(JobHistoryEntry.Kind));
    private static readonly JsonEncodedText MessageName = JsonEncodedText.Encode(nameof(JobHistoryEntry.Message));

    private static readonly JobState[] States = Enum.GetValues<JobState>();

    public override JobRecord Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var record = new JobRecord();
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(RequestName.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Request = reader.TokenType == JsonTokenType.Null ? null : ReadRequest(ref reader);
            }
            else if (reader.ValueTextEquals(StateName.EncodedUtf8Bytes))
            {
                reader.Read();
                record.State = ReadState(ref reader);
            }
            else if (reader.ValueTextEquals(RegionName.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Region = reader.GetString();
            }
            else if (reader.ValueTextEquals(ReasonName.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Reason = reader.GetString();
            }
            else if (reader.ValueTextEquals(PlacementName.EncodedUtf8Bytes))
            {
                reader.Read();
                record.Placement = reader.TokenType == JsonTokenType.Null ? null : ReadDecision(ref reader);
            }
            else if (reader.ValueTextEquals(HistoryName.EncodedUtf8Bytes))
            {
                reader.Read();
                ReadHistory(ref reader, record.History);
            }
            else if (reader.ValueTextEquals(SubmittedAtName.EncodedUtf8Bytes))
            {
                reader.Read();
                record.SubmittedAt = reader.GetDateTimeOffset();
            }
            else if (reader.ValueTextEquals(QueuedAtName.EncodedUtf8Bytes))
            {
                record.QueuedAt = ReadTime(ref reader);
            }
            else if (reader.ValueTextEquals(DataReadyAtName.EncodedUtf8Bytes))
            {
                record.DataReadyAt = ReadTime(ref reader);
            }
            else if (reader.ValueTextEquals(StartedAtName.EncodedUtf8Bytes))
            {
                record.StartedAt = ReadTime(ref reader);
            }
            else if (reader.ValueTextEquals(EndedAtName.EncodedUtf8Bytes))
            {
                record.EndedAt = ReadTime(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return record;
    }

    public override void Write(Utf8JsonWriter writer, JobRecord value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        if (value.Request is { } request)
        {
            writer.WritePropertyName(RequestName);
            WriteRequest(writer, request);
        }

        writer.WriteString(StateName, value.State.ToString());
        WriteIfSet(writer, RegionName, value.Region);
        WriteIfSet(writer, ReasonName, value.Reason);
        if (value.Placement is { } placement)
        {
            writer.WritePropertyName(PlacementName);
            WriteDecision(writer, placement);
        }

        writer.WriteStartArray(HistoryName);
        foreach (var e in value.History)
        {
            writer.WriteStartObject();
            writer.WriteString(AtName, e.At);
            writer.WriteString(KindName, e.Kind);
            WriteIfSet(writer, RegionName, e.Region);
            WriteIfSet(writer, MessageName, e.Message);
            if (e.TransferSeconds != 0)
            {
                WriteSeconds(writer, TransferSecondsName, e.TransferSeconds);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString(SubmittedAtName, value.SubmittedAt);
        WriteIfSet(writer, QueuedAtName, value.QueuedAt);
        WriteIfSet(writer, DataReadyAtName, value.DataReadyAt);
        WriteIfSet(writer, StartedAtName, value.StartedAt);
        WriteIfSet(writer, EndedAtName, value.EndedAt);
        writer.WriteEndObject();
    }

    private static void WriteRequest(Utf8JsonWriter writer, JobRequest r)
    {
        writer.WriteStartObject();
        WriteIfSet(writer, IdName, r.Id);
        writer.WriteString(ProjectName, r.Project);
        writer.WriteString(OwnerName, r.Owner);
        writer.WriteString(HomeRegionName, r.HomeRegion);
        writer.WriteStartObject(AcceleratorsName);
        writer.WriteNumber(CountName, r.Accelerators.Count);
        WriteStrings(writer, TypesName, r.Accelerators.Types);
        writer.WriteNumber(MinMemoryGbName, r.Accelerators.MinMemoryGb);
        writer.WriteEndObject();
        writer.WriteNumber(DurationHoursName, r.DurationHours);
        if (r.Dataset is { } dataset)
        {
            writer.WriteStartObject(DatasetName);
            writer.WriteString(RegionName, dataset.Region);
            writer.WriteNumber(SizeGbName, dataset.SizeGb);
            writer.WriteEndObject();
        }

        WriteStrings(writer, AllowedRegionsName, r.AllowedRegions);
        writer.WriteNumber(PriorityName, r.Priority);
        writer.WriteEndObject();
    }

    private static void WriteDecision(Utf8JsonWriter writer, PlacementDecision d)
    {
        writer.WriteStartObject();
        writer.WriteString(PolicyName, d.Policy);
        WriteIfSet(writer, ChosenRegionName, d.ChosenRegion);
        writer.WriteStartArray(CandidatesName);
        if (!d.Candidates.IsDefault)
        {
            foreach (var c in d.Candidates)
            {
                writer.WriteStartObject();
                writer.WriteString(RegionName, c.Region);
                WriteIfSet(writer, ExcludedBecauseName, c.ExcludedBecause);
                WriteIfSet(writer, NotUsedBecauseName, c.NotUsedBecause);
                if (c.ExpectedStartDelaySeconds is { } start)
                {
                    WriteSeconds(writer, StartDelayName, start);
                }

                WriteSeconds(writer, TransferSecondsName, c.TransferSeconds);
                if (c.PenaltySeconds != 0)
                {
                    WriteSeconds(writer, PenaltySecondsName, c.PenaltySeconds);
                }

                writer.WriteEndObject();
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static JobRequest ReadRequest(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        string? id = null;
        string project = "", owner = "", home = "";
        var accelerators = new AcceleratorRequest();
        double hours = 0;
        DatasetRef? dataset = null;
        ImmutableArray<string> allowed = [];
        var priority = 0;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(IdName.EncodedUtf8Bytes))
            {
                reader.Read();
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals(ProjectName.EncodedUtf8Bytes))
            {
                reader.Read();
                project = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(OwnerName.EncodedUtf8Bytes))
            {
                reader.Read();
                owner = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(HomeRegionName.EncodedUtf8Bytes))
            {
                reader.Read();
                home = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(AcceleratorsName.EncodedUtf8Bytes))
            {
                reader.Read();
                accelerators = ReadAccelerators(ref reader);
            }
            else if (reader.ValueTextEquals(DurationHoursName.EncodedUtf8Bytes))
            {
                reader.Read();
                hours = ReadDouble(ref reader);
            }
            else if (reader.ValueTextEquals(DatasetName.EncodedUtf8Bytes))
            {
                reader.Read();
                dataset = reader.TokenType == JsonTokenType.Null ? null : ReadDataset(ref reader);
            }
            else if (reader.ValueTextEquals(AllowedRegionsName.EncodedUtf8Bytes))
            {
                reader.Read();
                allowed = ReadStrings(ref reader);
            }
            else if (reader.ValueTextEquals(PriorityName.EncodedUtf8Bytes))
            {
                reader.Read();
                priority = reader.GetInt32();
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
        };
    }

    private static AcceleratorRequest ReadAccelerators(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var count = 0;
        var memory = 0;
        ImmutableArray<string> types = [];
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(CountName.EncodedUtf8Bytes))
            {
                reader.Read();
                count = reader.GetInt32();
            }
            else if (reader.ValueTextEquals(TypesName.EncodedUtf8Bytes))
            {
                reader.Read();
                types = ReadStrings(ref reader);
            }
            else if (reader.ValueTextEquals(MinMemoryGbName.EncodedUtf8Bytes))
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
        double size = 0;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(RegionName.EncodedUtf8Bytes))
            {
                reader.Read();
                region = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(SizeGbName.EncodedUtf8Bytes))
            {
                reader.Read();
                size = ReadDouble(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new DatasetRef { Region = region, SizeGb = size };
    }

    private static PlacementDecision ReadDecision(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject);
        var policy = "";
        string? chosen = null;
        ImmutableArray<RegionScore> candidates = [];
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals(PolicyName.EncodedUtf8Bytes))
            {
                reader.Read();
                policy = reader.GetString() ?? "";
            }
            else if (reader.ValueTextEquals(ChosenRegionName.EncodedUtf8Bytes))
            {
                reader.Read();
                chosen = reader.GetString();
            }
            else if (reader.ValueTextEquals(CandidatesName.EncodedUtf8Bytes))
            {
                reader.Read();
                candidates = ReadCandidates(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new PlacementDecision { Policy = policy, ChosenRegion = chosen, Candidates = candidates };
    }

    private static ImmutableArray<RegionScore> ReadCandidates(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        Expect(ref reader, JsonTokenType.StartArray);
        var builder = ImmutableArray.CreateBuilder<RegionScore>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Expect(ref reader, JsonTokenType.StartObject);
            var region = "";
            string? excluded = null, notUsed = null;
            double? start = null;
            double transfer = 0, penalty = 0;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals(RegionName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    region = reader.GetString() ?? "";
                }
                else if (reader.ValueTextEquals(ExcludedBecauseName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    excluded = reader.GetString();
                }
                else if (reader.ValueTextEquals(NotUsedBecauseName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    notUsed = reader.GetString();
                }
                else if (reader.ValueTextEquals(StartDelayName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    start = reader.TokenType == JsonTokenType.Null ? null : ReadDouble(ref reader);
                }
                else if (reader.ValueTextEquals(TransferSecondsName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    transfer = ReadDouble(ref reader);
                }
                else if (reader.ValueTextEquals(PenaltySecondsName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    penalty = ReadDouble(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            builder.Add(new RegionScore
            {
                Region = region,
                ExcludedBecause = excluded,
                NotUsedBecause = notUsed,
                ExpectedStartDelaySeconds = start,
                TransferSeconds = transfer,
                PenaltySeconds = penalty,
            });
        }

        return builder.DrainToImmutable();
    }

    private static void ReadHistory(ref Utf8JsonReader reader, List<JobHistoryEntry> history)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        Expect(ref reader, JsonTokenType.StartArray);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Expect(ref reader, JsonTokenType.StartObject);
            DateTimeOffset at = default;
            var kind = "";
            string? region = null, message = null;
            double transfer = 0;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals(AtName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    at = reader.GetDateTimeOffset();
                }
                else if (reader.ValueTextEquals(KindName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    kind = KnownKind(reader.GetString() ?? "");
                }
                else if (reader.ValueTextEquals(RegionName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    region = reader.GetString();
                }
                else if (reader.ValueTextEquals(MessageName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    message = reader.GetString();
                }
                else if (reader.ValueTextEquals(TransferSecondsName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    transfer = ReadDouble(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            history.Add(new JobHistoryEntry { At = at, Kind = kind, Region = region, Message = message, TransferSeconds = transfer });
        }
    }

    /// <summary>The shared instance of a known event kind (rows are read back into memory; one string per event adds up).</summary>
    private static string KnownKind(string kind) => kind switch
    {
        JobEventKinds.Submitted => JobEventKinds.Submitted,
        JobEventKinds.Queued => JobEventKinds.Queued,
        JobEventKinds.Started => JobEventKinds.Started,
        JobEventKinds.Overflowed => JobEventKinds.Overflowed,
        JobEventKinds.Requeued => JobEventKinds.Requeued,
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

    private static DateTimeOffset? ReadTime(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Null ? null : reader.GetDateTimeOffset();
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

    /// <summary>A number, or the named literals (NaN, Infinity) that rows may hold.</summary>
    private static double ReadDouble(ref Utf8JsonReader reader) =>
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

    private static void WriteIfSet(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, JsonEncodedText name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.WriteString(name, v);
        }
    }

    private static void WriteStrings(Utf8JsonWriter writer, JsonEncodedText name, ImmutableArray<string> values)
    {
        writer.WriteStartArray(name);
        if (!values.IsDefault)
        {
            foreach (var v in values)
            {
                writer.WriteStringValue(v);
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>Seconds rounded to 0.1 ms (shorter rows, cheaper to format); infinities as JSON's named literals.</summary>
    private static void WriteSeconds(Utf8JsonWriter writer, JsonEncodedText name, double seconds)
    {
        if (double.IsFinite(seconds))
        {
            writer.WriteNumber(name, Math.Round(seconds, 4));
        }
        else
        {
            writer.WriteString(name, seconds.ToString(CultureInfo.InvariantCulture));
        }
    }
}
