using System.Text;
using Federation.Actors.Storage;
using Federation.Contracts;
using Federation.Grains.Jobs;

namespace Federation.Grains.Tests;

/// <summary>The job row's JSON (<see cref="JobRecordJsonConverter"/>): what it keeps, and that rows of earlier versions still read.</summary>
public sealed class JobRowTests
{
    private static readonly JsonGrainStorageSerializer Serializer = new();

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

        var json = Encoding.UTF8.GetString(Serializer.Serialize(record));
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
    public void A_row_written_by_an_earlier_version_reads_with_its_words()
    {
        // As System.Text.Json wrote JobRecord before the row had a converter of its own: every member, nulls, the
        // explanation with eligibility and scores, and the words of the reason and of every event.
        const string earlier = """
            {"Request":{"Id":"old","Project":"p","Owner":"o","HomeRegion":"gwangyang","Accelerators":{"Count":16,"Types":["H100"],"MinMemoryGb":0},"DurationHours":6,"Dataset":{"Region":"gwangju","SizeGb":800},"AllowedRegions":[],"Priority":0},
             "State":"Running","Region":"gwangju",
             "Reason":"overflow from gwangyang to gwangju: expected start in 0 s there vs 46 s in gwangyang, no data to move. Candidates: placed in gwangju",
             "Placement":{"Policy":"EarliestStart","ChosenRegion":"gwangju","Candidates":[
               {"Region":"gwangju","Eligible":true,"ExcludedBecause":null,"ExpectedStartDelaySeconds":0,"TransferSeconds":0,"PenaltySeconds":0,"Score":0},
               {"Region":"suncheon","Eligible":false,"ExcludedBecause":"no accelerator of an acceptable type","ExpectedStartDelaySeconds":null,"TransferSeconds":22.859142857142857,"PenaltySeconds":0,"Score":null}]},
             "History":[{"At":"2026-01-01T00:00:00+00:00","Kind":"Submitted","Region":null,"Message":"submitted by o for project p"},
                        {"At":"2026-01-01T00:00:00+00:00","Kind":"Started","Region":"gwangju","Message":"started in gwangju"}],
             "SubmittedAt":"2026-01-01T00:00:00+00:00","QueuedAt":"2026-01-01T00:00:00+00:00","DataReadyAt":null,"StartedAt":"2026-01-01T00:00:00+00:00","EndedAt":null,"Unknown":{"x":[1,2]}}
            """;

        var record = Serializer.Deserialize<JobRecord>(Encoding.UTF8.GetBytes(earlier));
        var view = record.ToView("old");

        Assert.Equal((JobState.Running, "gwangju", T0), (view.State, view.Region, view.StartedAt));
        Assert.StartsWith("overflow from gwangyang to gwangju", view.Reason, StringComparison.Ordinal);
        Assert.Equal(["submitted by o for project p", "started in gwangju"], view.History.Select(e => e.Message));
        Assert.Equal([true, false], view.Placement!.Candidates.Select(c => c.Eligible));
        Assert.Equal("no accelerator of an acceptable type", view.Placement.Candidates[1].ExcludedBecause);
        Assert.Equal(22.859142857142857, view.Placement.Candidates[1].TransferSeconds);
    }
}
