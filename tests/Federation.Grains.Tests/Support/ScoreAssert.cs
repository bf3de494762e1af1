using Federation.Contracts;

namespace Federation.Grains.Tests.Support;

/// <summary>Assertions on a placement decision's numbers, the facts a job's reason is rendered from.</summary>
internal static class ScoreAssert
{
    /// <summary>Seconds are compared to a tenth of a millisecond: what a job's row keeps of them.</summary>
    private const int Precision = 4;

    /// <summary>One candidate: its words exactly (what excluded it or set it aside), its seconds to <see cref="Precision"/> places.</summary>
    public static void Score(RegionScore actual, string region, double? start, double transfer, string? excluded = null, string? notUsed = null, double penalty = 0)
    {
        Assert.Equal(region, actual.Region);
        Assert.Equal(excluded, actual.ExcludedBecause);
        Assert.Equal(notUsed, actual.NotUsedBecause);
        if (start is { } s)
        {
            Assert.NotNull(actual.ExpectedStartDelaySeconds);
            Assert.Equal(s, actual.ExpectedStartDelaySeconds.Value, Precision);
        }
        else
        {
            Assert.Null(actual.ExpectedStartDelaySeconds);
        }

        Assert.Equal(transfer, actual.TransferSeconds, Precision);
        Assert.Equal(penalty, actual.PenaltySeconds, Precision);
    }
}
