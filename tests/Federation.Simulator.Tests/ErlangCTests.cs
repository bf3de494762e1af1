namespace Federation.Simulator.Tests;

/// <summary>
/// The simulator engine against queueing theory: Poisson arrivals, exponential durations, one-accelerator jobs.
/// Runs are 3,000,000 jobs with fixed seeds, the first 2 % dropped as warm-up; each test also checks that the
/// batch-means standard error is below 1.2 % of the prediction, so a 3 % tolerance is at least 2.5 standard errors.
/// </summary>
public sealed class ErlangCTests
{
    private const int Jobs = 3_000_000;
    private const double Tolerance = 0.03;
    private const double MaxRelativeStdErr = 0.012;

    [Fact]
    public void ErlangC_formula_matches_known_values()
    {
        // M/M/1: C = ρ. M/M/2 at a = 1: C = 1/3 (textbook value).
        Assert.Equal(0.7, QueueingModels.ErlangC(1, 0.7), 12);
        Assert.Equal(1.0 / 3.0, QueueingModels.ErlangC(2, 1.0), 12);
    }

    [Theory]
    [InlineData(4, 0.5, 11)]
    [InlineData(4, 0.7, 12)]
    [InlineData(8, 0.75, 13)]
    public void Simulated_mean_wait_of_a_c_server_pool_is_within_3_percent_of_Erlang_C(int servers, double rho, int seed)
    {
        var lambda = rho * servers;
        var w = QueueingModels.Poisson(QueueingModels.Pools(1, servers), Jobs, lambda, 1.0, seed);
        var r = SimulationEngine.Run(w, SimPolicy.Isolated, new EngineOptions(), null, default);
        var (mean, se) = QueueingModels.MeanWaitWithError(w, r, 0.02);
        var expected = QueueingModels.MeanWait(servers, lambda, 1.0);

        Assert.True(se / expected < MaxRelativeStdErr, $"run too short: standard error {se / expected:P2}");
        Assert.InRange(mean, expected * (1 - Tolerance), expected * (1 + Tolerance));
    }

    [Fact]
    public void Two_isolated_pools_versus_one_pooled_pool_show_the_pooling_gain_Erlang_C_predicts()
    {
        const int Servers = 2;
        const double Rho = 0.7;
        var lambda = Rho * Servers * 2;
        var twoPools = QueueingModels.Pools(2, Servers);
        var w = QueueingModels.Poisson(twoPools, Jobs, lambda, 1.0, 21);

        var isolated = SimulationEngine.Run(w, SimPolicy.Isolated, new EngineOptions(), null, default);
        var pooled = SimulationEngine.Run(w, SimPolicy.Pooled, new EngineOptions(), null, default);
        var (isoMean, isoSe) = QueueingModels.MeanWaitWithError(w, isolated, 0.02);
        var (poolMean, poolSe) = QueueingModels.MeanWaitWithError(w, pooled, 0.02);

        var isoExpected = QueueingModels.MeanWait(Servers, lambda / 2, 1.0);
        var poolExpected = QueueingModels.MeanWait(2 * Servers, lambda, 1.0);
        Assert.True(isoSe / isoExpected < MaxRelativeStdErr, $"isolated standard error {isoSe / isoExpected:P2}");
        Assert.True(poolSe / poolExpected < MaxRelativeStdErr, $"pooled standard error {poolSe / poolExpected:P2}");
        Assert.InRange(isoMean, isoExpected * (1 - Tolerance), isoExpected * (1 + Tolerance));
        Assert.InRange(poolMean, poolExpected * (1 - Tolerance), poolExpected * (1 + Tolerance));

        // The gain itself (≈ 2.7× here): the ratio of two 3 % estimates is within about 6 %.
        var predictedGain = isoExpected / poolExpected;
        Assert.InRange(isoMean / poolMean, predictedGain * 0.94, predictedGain * 1.06);
        Assert.True(predictedGain > 2.5, $"the chosen point should show a large gain, predicted {predictedGain:F2}");
    }
}
