namespace Federation.Simulator;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        return await SimulatorApp.RunAsync(args, Console.Out, Console.Error, cts.Token);
    }
}
