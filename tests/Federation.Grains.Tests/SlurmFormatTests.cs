using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Execution.Slurm;
using Federation.Grains.Jobs;
using Federation.Storage.Jobs;

namespace Federation.Grains.Tests;

/// <summary>
/// What the Slurm executor reads from slurmrestd (GRES lists, wait statuses, states), what its options must say, and a
/// job row with a script and a backend's ids. The executor against a real Slurm is in Federation.Slurm.Tests.
/// </summary>
public sealed class SlurmFormatTests
{
    [Fact]
    public void Gres_lists_are_counted_by_name_and_type_whatever_Slurm_adds_after_the_count()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        SlurmGres.AddCounts("gpu:h100:8(S:0-1),gpu:a100:4", counts);
        SlurmGres.AddCounts("gpu:h100:2(IDX:0-1)", counts);
        SlurmGres.AddCounts("(null)", counts);
        SlurmGres.AddCounts(null, counts);

        Assert.Equal(new Dictionary<string, int> { ["gpu:h100"] = 10, ["gpu:a100"] = 4 }, counts);
        Assert.True(SlurmGres.IsName("gpu:h100"));
        Assert.False(SlurmGres.IsName("gpu:h100:8"));
        Assert.False(SlurmGres.IsName("gpu"));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(768, 3)]
    [InlineData(256 * 255, 255)]
    [InlineData(9, 137)]
    [InlineData(15, 143)]
    public void The_exit_code_is_the_wait_status_high_byte_or_128_plus_the_signal(int waitStatus, int exitCode) =>
        Assert.Equal(exitCode, new SlurmJob(1, "j", null, "FAILED", null, waitStatus).ExitCode);

    [Theory]
    [InlineData("PENDING", false)]
    [InlineData("RUNNING", false)]
    [InlineData("COMPLETING", false)]
    [InlineData("COMPLETED", true)]
    [InlineData("FAILED", true)]
    [InlineData("TIMEOUT", true)]
    [InlineData("CANCELLED", true)]
    [InlineData("NODE_FAIL", true)]
    [InlineData("OUT_OF_MEMORY", true)]
    public void Final_states_are_those_Slurm_is_done_with(string state, bool final) =>
        Assert.Equal(final, new SlurmJob(1, "j", null, state, null, null).IsFinal);

    [Fact]
    public void Options_name_every_key_at_fault_and_refuse_to_run_jobs_as_root()
    {
        var options = new SlurmOptions { Url = new Uri("ftp://slurm"), User = "root", WorkingDirectory = "tmp" };
        options.Gres["H100"] = "gpu:h100:8";

        var failures = options.Check("Federation:Regions:daegu:Slurm", ["H100", "NPU"]);

        Assert.Equal(6, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Federation:Regions:daegu:Slurm:Url must be slurmrestd's http(s) address", StringComparison.Ordinal));
        Assert.Contains("Federation:Regions:daegu:Slurm:User must not be 'root': jobs never run as root or as Slurm's own user.", failures);
        Assert.Contains(failures, f => f.StartsWith("Federation:Regions:daegu:Slurm:Token (the user's slurmrestd token", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Federation:Regions:daegu:Slurm:Gres:H100 must say how Slurm names", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Federation:Regions:daegu:Slurm:Gres:NPU must say how Slurm names", StringComparison.Ordinal));
        Assert.Contains("Federation:Regions:daegu:Slurm:WorkingDirectory must be an absolute path.", failures);
    }

    [Fact]
    public void A_row_keeps_the_script_its_environment_and_the_backend_s_word()
    {
        var serializer = new JsonRowSerializer();
        var run = new JobRun
        {
            Script = "#!/bin/bash\necho \"hi\"\nexit 3\n",
            Image = "registry.local/train:1",
            Environment = ImmutableDictionary<string, string>.Empty.Add("B", "2").Add("A", "x=1"),
            WorkingDirectory = "/scratch/kim",
        };
        var record = new JobRecord
        {
            Request = new JobRequest { Project = "p", Owner = "kim", HomeRegion = "daegu", Accelerators = new AcceleratorRequest { Count = 2 }, DurationHours = 1, Run = run },
            State = JobState.Failed,
            Region = "daegu",
            SubmittedAt = DateTimeOffset.UnixEpoch,
            BackendJobId = "19",
            ExitCode = 3,
            BackendReason = "NonZeroExitCode",
        };

        var json = serializer.Serialize(record).ToString();
        var back = serializer.Deserialize<JobRecord>(serializer.Serialize(record));

        Assert.Equal((run.Script, run.Image, run.WorkingDirectory), (back.Request!.Run!.Script, back.Request.Run.Image, back.Request.Run.WorkingDirectory));
        Assert.Equal(run.Environment.OrderBy(e => e.Key), back.Request.Run.Environment!.OrderBy(e => e.Key));
        Assert.Equal(("19", (int?)3, "NonZeroExitCode"), (back.BackendJobId, back.ExitCode, back.BackendReason));
        Assert.True(Model.DomainMapping.SameBody(record.Request, back.Request));
        Assert.False(Model.DomainMapping.SameBody(record.Request, back.Request with { Run = run with { Environment = run.Environment.SetItem("A", "y") } }));
        Assert.Contains("\"Environment\":{\"A\":\"x=1\",\"B\":\"2\"}", json, StringComparison.Ordinal);
    }
}
