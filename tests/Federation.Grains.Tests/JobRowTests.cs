using Federation.Contracts;
using Federation.Grains.Jobs;
using Federation.Storage.Jobs;

namespace Federation.Grains.Tests;

/// <summary>The job row's JSON (<see cref="JobRecordJsonConverter"/>) as the job store writes it: what it keeps, and what it skips.</summary>
public sealed class JobRowTests
{
    private static readonly JsonRowSerializer Serializer = new();

    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_row_round_trips_every_member_and_rounds_the_scores_to_a_tenth_of_a_millisecond()
    {
        var record = new JobRecord
        {
            Request = new JobRequest
            {
                Id = "j1",
                Project = "kr-climate",
                Owner = "choi",
                HomeRegion = "gwangyang",
                Accelerators = new AcceleratorRequest { Count = 16, Types = ["H100", "A100"], MinMemoryGb = 40 },
                DurationHours = 6.5,
                Dataset = new DatasetRef { Region = "gwangju", SizeGb = 800 },
                AllowedRegions = ["gwangju", "gwangyang"],
                Priority = 3,
            },
            State = JobState.Queued,
            Region = "gwangju",
            Placement = new PlacementDecision
            {
                Policy = "EarliestStart",
                ChosenRegion = "gwangju",
                Candidates =
                [
                    new RegionScore { Region = "gwangju", ExpectedStartDelaySeconds = 114.29071428571, TransferSeconds = 114.29071428571 },
                    new RegionScore { Region = "suncheon", ExcludedBecause = "no accelerator of an acceptable type", TransferSeconds = double.PositiveInfinity },
                    new RegionScore { Region = "gwangyang", NotUsedBecause = "draining", ExpectedStartDelaySeconds = 36000, PenaltySeconds = 60 },
                ],
            },
            SubmittedAt = T0,
            QueuedAt = T0.AddSeconds(1),
            DataReadyAt = T0.AddSeconds(115),
        };
        record.AddEvent(T0, JobEventKinds.Submitted, null);
        record.AddEvent(T0.AddTicks(1_234_567), JobEventKinds.Overflowed, "gwangju", null, 114.29071428571);
        record.AddEvent(T0.AddHours(1), JobEventKinds.Requeued, "gwangju", "released by gwangju: draining");

        var json = Serializer.Serialize(record).ToString();
        var back = Serializer.Deserialize<JobRecord>(Serializer.Serialize(record));

        Assert.Equal(record.Request, back.Request! with { Accelerators = record.Request.Accelerators, AllowedRegions = record.Request.AllowedRegions });
        Assert.Equal(["H100", "A100"], back.Request!.Accelerators.Types.ToArray());
        Assert.Equal(["gwangju", "gwangyang"], back.Request.AllowedRegions.ToArray());
        Assert.Equal((16, 40), (back.Request.Accelerators.Count, back.Request.Accelerators.MinMemoryGb));
        Assert.Equal((JobState.Queued, "gwangju", null), (back.State, back.Region, back.Reason));
        Assert.Equal((T0, T0.AddSeconds(1), T0.AddSeconds(115), (DateTimeOffset?)null, (DateTimeOffset?)null), (back.SubmittedAt, back.QueuedAt, back.DataReadyAt, back.StartedAt, back.EndedAt));
        Assert.Equal(("EarliestStart", "gwangju"), (back.Placement!.Policy, back.Placement.ChosenRegion));
        Assert.Equal(
            [
                new RegionScore { Region = "gwangju", ExpectedStartDelaySeconds = 114.2907, TransferSeconds = 114.2907 },
                new RegionScore { Region = "suncheon", ExcludedBecause = "no accelerator of an acceptable type", TransferSeconds = double.PositiveInfinity },
                new RegionScore { Region = "gwangyang", NotUsedBecause = "draining", ExpectedStartDelaySeconds = 36000, PenaltySeconds = 60 },
            ],
            back.Placement.Candidates.ToArray());
        Assert.Equal(record.History.Select(e => e with { TransferSeconds = Math.Round(e.TransferSeconds, 4) }), back.History);

        // Compact: scores and history entries as arrays without trailing defaults, times after the submission in seconds,
        // nothing for what holds nothing.
        Assert.Contains("\"Scores\":[[\"gwangju\",114.2907,114.2907],[\"suncheon\",null,\"Infinity\",0,\"no accelerator of an acceptable type\"],[\"gwangyang\",36000,0,60,null,\"draining\"]]", json, StringComparison.Ordinal);
        Assert.Contains("\"QueuedAfter\":1,\"DataReadyAfter\":115,", json, StringComparison.Ordinal);
        Assert.Contains("[\"Submitted\",0],[\"Overflowed\",0.1234567,\"gwangju\",114.2907]", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Reason\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("MinMemoryGb\":0", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_running_row_keeps_its_checkpoint_signal_and_the_reclaim_of_its_run_to_the_tick()
    {
        var started = T0.AddTicks(12_345_678_901);
        var record = new JobRecord
        {
            Request = new JobRequest
            {
                Id = "j1",
                Project = "p",
                Owner = "kim",
                HomeRegion = "gwangju",
                Accelerators = new AcceleratorRequest { Count = 4 },
                DurationHours = 2,
                Run = new JobRun { Script = "#!/bin/bash\ntrap 'exit 0' USR1\n", CheckpointSignal = "USR1" },
            },
            State = JobState.Running,
            Region = "suncheon",
            SubmittedAt = T0,
            StartedAt = started,
            Reclaim = new RunReclaim { Region = "suncheon", StartedAt = started, SignalledAt = started.AddTicks(7), ReclaimAt = started.AddTicks(600_000_007), ForJobId = "own-1" },
        };

        var json = Serializer.Serialize(record).ToString();
        var back = Serializer.Deserialize<JobRecord>(Serializer.Serialize(record));

        Assert.Equal("USR1", back.Request!.Run!.CheckpointSignal);
        Assert.Equal(record.Reclaim, back.Reclaim);
        Assert.Contains("\"CheckpointSignal\":\"USR1\"", json, StringComparison.Ordinal);

        // Nothing is written for a row with neither.
        record.Reclaim = null;
        record.Request = record.Request with { Run = record.Request.Run with { CheckpointSignal = null } };
        var plain = Serializer.Serialize(record).ToString();
        Assert.DoesNotContain("Reclaim", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("CheckpointSignal", plain, StringComparison.Ordinal);
        Assert.Null(Serializer.Deserialize<JobRecord>(Serializer.Serialize(record)).Reclaim);
    }

    [Fact]
    public void A_row_with_members_this_version_does_not_know_reads_and_skips_them()
    {
        // A row as a later version might write it: members, and array elements, this reader does not know, in every object.
        const string later = """
            {"Request":{"Id":"new","Project":"p","Owner":"o","HomeRegion":"gwangyang","Accelerators":{"Count":16,"Types":["H100"],"Interconnect":"nvlink"},"DurationHours":6,"Dataset":{"Region":"gwangju","SizeGb":800,"Format":"zarr"},"Deadline":"2026-02-01"},
             "State":"Running","Region":"gwangju","Unknown":{"x":[1,2]},
             "Placement":{"Policy":"EarliestStart","ChosenRegion":"gwangju","Carbon":0.3,"Scores":[["gwangju",0,0],["suncheon",null,22.8591,0,"no accelerator of an acceptable type",null,"extra"]]},
             "SubmittedAt":"2026-01-01T00:00:00+00:00","QueuedAfter":0,"StartedAfter":2.5,"Tags":["a"],
             "History":[["Submitted",0],["Overflowed",0,"gwangju"],["Started",2.5,"gwangju"]]}
            """;

        var record = Serializer.Deserialize<JobRecord>(new BinaryData(later));

        Assert.Equal((JobState.Running, "gwangju", T0, T0.AddSeconds(2.5)), (record.State, record.Region, record.SubmittedAt, record.StartedAt));
        Assert.Equal(("new", 16, "gwangju", 800.0), (record.Request!.Id, record.Request.Accelerators.Count, record.Request.Dataset!.Region, record.Request.Dataset.SizeGb));
        Assert.Equal(
            [
                new RegionScore { Region = "gwangju", ExpectedStartDelaySeconds = 0 },
                new RegionScore { Region = "suncheon", ExcludedBecause = "no accelerator of an acceptable type", TransferSeconds = 22.8591 },
            ],
            record.Placement!.Candidates.ToArray());
        Assert.Equal(["Submitted", "Overflowed", "Started"], record.History.Select(e => e.Kind));
        Assert.Equal(T0.AddSeconds(2.5), record.History[2].At);
        Assert.Equal(new JobRowColumns("Running", "gwangju", "p", "o", Active: true, SubmittedOn: T0), record.Columns);
        Assert.Null(record.History[2].AcceleratorType);
    }

    [Fact]
    public void A_started_event_keeps_the_accelerator_type_the_run_got_after_the_message()
    {
        var record = new JobRecord { Request = new JobRequest { HomeRegion = "daegu" }, State = JobState.Running, Region = "gwangju", SubmittedAt = T0 };
        record.AddEvent(T0, JobEventKinds.Submitted, null);
        record.AddStarted(T0.AddSeconds(2.5), "gwangju", "A100");

        var json = Serializer.Serialize(record).ToString();
        var back = Serializer.Deserialize<JobRecord>(new BinaryData(json));

        Assert.Contains("[\"Started\",2.5,\"gwangju\",0,null,\"A100\"]", json, StringComparison.Ordinal);
        Assert.Equal(record.History, back.History);
        Assert.Equal("A100", back.History[1].AcceleratorType);
    }

    [Fact]
    public void The_datasets_residency_class_and_the_check_each_placement_made_round_trip()
    {
        var record = new JobRecord
        {
            Request = new JobRequest { HomeRegion = "suncheon", Dataset = new DatasetRef { Region = "suncheon", SizeGb = 5, Residency = "kr-health" } },
            State = JobState.Queued,
            Region = "gwangju",
            SubmittedAt = T0,
        };
        record.AddEvent(T0, JobEventKinds.Submitted, null);
        record.AddEvent(T0.AddSeconds(1), JobEventKinds.Overflowed, "gwangju", null, 3, new ResidencyCheck { Class = "kr-health", Regions = ["gwangju", "daegu"] });

        var json = Serializer.Serialize(record).ToString();
        var back = Serializer.Deserialize<JobRecord>(new BinaryData(json));

        Assert.Contains("\"Dataset\":{\"Region\":\"suncheon\",\"SizeGb\":5,\"Residency\":\"kr-health\"}", json, StringComparison.Ordinal);
        Assert.Contains("[\"Overflowed\",1,\"gwangju\",3,null,null,\"kr-health\",[\"gwangju\",\"daegu\"]]", json, StringComparison.Ordinal);
        Assert.Equal("kr-health", back.Request!.Dataset!.Residency);
        var check = back.History[1].Residency!;
        Assert.Equal(("kr-health", "gwangju,daegu"), (check.Class, string.Join(',', check.Regions)));
        Assert.Null(back.History[0].Residency);
    }
}
