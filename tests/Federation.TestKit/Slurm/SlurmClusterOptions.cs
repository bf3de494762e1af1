namespace Federation.TestKit.Slurm;

/// <summary>The shape of a <see cref="SlurmCluster"/>: one node, its GPUs, its CPUs and its one partition.</summary>
public sealed class SlurmClusterOptions
{
    /// <summary>The default <see cref="Name"/>.</summary>
    public const string DefaultName = "region";

    /// <summary>The default <see cref="Gres"/>: one node of eight H100s.</summary>
    public const string DefaultGres = "h100:8";

    /// <summary>
    /// The default <see cref="Cpus"/>: more than jobs ever ask for (each takes one), so the GPUs are what limits
    /// how many jobs run at once, as on a GPU node.
    /// </summary>
    public const int DefaultCpus = 16;

    /// <summary>The default <see cref="Partition"/>.</summary>
    public const string DefaultPartition = "batch";

    /// <summary>
    /// The cluster's name (Slurm's ClusterName; its node is <c>&lt;name&gt;-n1</c>): lowercase letters, digits and
    /// '-', starting with a letter.
    /// </summary>
    public string Name { get; init; } = DefaultName;

    /// <summary>The node's GPUs as <c>type:count</c>, comma-separated, e.g. <c>h100:8</c> or <c>h100:8,a100:4</c>.</summary>
    public string Gres { get; init; } = DefaultGres;

    /// <summary>The CPUs the node advertises (the machine may have fewer).</summary>
    public int Cpus { get; init; } = DefaultCpus;

    /// <summary>The node's one partition, the default for jobs that name none.</summary>
    public string Partition { get; init; } = DefaultPartition;
}
