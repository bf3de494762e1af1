namespace Federation.Scheduling.Tests;

/// <summary>What a job runs (<c>run</c>), its time limit, and regions that run batch scripts only.</summary>
public sealed class RunRulesTests
{
    private static readonly Megaregion Mega = Build.Mega(
    [
        Build.Region("a", Build.Pool("H100", 8)),
        Build.Region("b", Build.Pool("H100", 8)) with { RequiresScript = true },
    ]);

    private static JobSubmission Job(RunSubmission? run = null, string[]? allowed = null, double hours = 1) =>
        new("j1", "p", "kim", "a", 2, [], 0, hours, null, null, allowed is null ? [] : [.. allowed]) { Run = run };

    private static RunSubmission Run(string? script = "#!/bin/bash\necho hi\n", string? image = null, Dictionary<string, string>? environment = null, string? directory = null) =>
        new(script, image, environment, directory);

    [Fact]
    public void A_script_with_its_environment_and_directory_breaks_no_rule() =>
        Assert.Empty(JobRules.Validate(Mega, Job(Run(image: "registry.local/train:1.2", environment: new() { ["EPOCHS"] = "3", ["_X1"] = "" }, directory: "/scratch/kim"))));

    [Fact]
    public void Every_run_field_at_fault_is_named()
    {
        var errors = JobRules.Validate(Mega, Job(Run(script: "echo no interpreter line", image: "bad image", environment: new() { ["1BAD"] = "x", ["OK"] = "fine" }, directory: "relative/dir")));

        Assert.Equal(["run.script", "run.image", "run.workingDirectory", "run.environment.1BAD"], errors.Select(e => e.Field));
        Assert.Equal("must start with an interpreter line (#!/bin/bash), as a batch script does", errors[0].Message);
    }

    [Theory]
    [InlineData("USR1")]
    [InlineData("TERM")]
    [InlineData("CONT")]
    public void A_checkpoint_signal_a_script_can_trap_breaks_no_rule(string signal) =>
        Assert.Empty(JobRules.Validate(Mega, Job(Run() with { CheckpointSignal = signal })));

    [Theory]
    [InlineData("KILL")]
    [InlineData("STOP")]
    [InlineData("SIGUSR1")]
    [InlineData("usr1")]
    [InlineData("")]
    public void A_checkpoint_signal_that_cannot_be_trapped_or_is_misspelt_is_refused_naming_the_field(string signal) =>
        Assert.Equal(
            new FieldError("run.checkpointSignal", "must be one of USR1, USR2, TERM, INT, HUP, QUIT, ALRM, CONT (a signal the script can trap, without SIG), or absent for none"),
            Assert.Single(JobRules.Validate(Mega, Job(Run() with { CheckpointSignal = signal }))));

    [Fact]
    public void A_run_without_a_script_and_an_oversized_script_are_refused()
    {
        Assert.Equal(new FieldError("run.script", "is required when run is given"), Assert.Single(JobRules.Validate(Mega, Job(Run(script: null)))));
        Assert.Equal(
            new FieldError("run.script", $"must be at most {JobRules.MaxScriptLength} characters"),
            Assert.Single(JobRules.Validate(Mega, Job(Run(script: "#!/bin/sh\n" + new string('x', JobRules.MaxScriptLength))))));
    }

    [Fact]
    public void Too_many_environment_variables_are_refused_once()
    {
        var environment = Enumerable.Range(0, JobRules.MaxEnvironmentVariables + 1).ToDictionary(i => $"V{i}", _ => "x");

        Assert.Equal(new FieldError("run.environment", $"must have at most {JobRules.MaxEnvironmentVariables} variables"), Assert.Single(JobRules.Validate(Mega, Job(Run(environment: environment)))));
    }

    [Fact]
    public void A_duration_beyond_a_year_is_refused()
    {
        Assert.Equal(new FieldError("durationHours", "must be at most 8760 (a year)"), Assert.Single(JobRules.Validate(Mega, Job(hours: 1e8))));
        Assert.Empty(JobRules.Validate(Mega, Job(hours: JobRules.MaxDurationHours)));
    }

    [Fact]
    public void A_job_without_a_script_pinned_to_script_only_regions_is_told_to_bring_one()
    {
        Assert.Equal(
            new FieldError("run", "is required: the regions that could run the job run batch scripts on their Slurm"),
            Assert.Single(JobRules.Validate(Mega, Job(allowed: ["b"]))));
        Assert.Empty(JobRules.Validate(Mega, Job(Run(), allowed: ["b"])));
        Assert.Empty(JobRules.Validate(Mega, Job(allowed: ["a", "b"])));
    }

    [Fact]
    public void A_region_that_runs_scripts_only_excludes_a_job_without_one_and_says_why()
    {
        var region = Mega.Regions[1];
        var without = Build.Job("j", 2, 10, home: "b");

        Assert.Equal(ConstraintFailure.NoScript, HardConstraints.Check(without, region, 0));
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(without with { HasScript = true }, region, 0));
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 2, 10, home: "a"), Mega.Regions[0], 0));
        Assert.Equal("runs batch scripts on its Slurm and the job has no run.script", HardConstraints.Describe(ConstraintFailure.NoScript));
    }
}
