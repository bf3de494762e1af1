namespace Federation.Simulator.Tests;

public sealed class TraceReaderTests
{
    private const string Header = "job_id,submit_time_s,gpus,duration_s,gpu_type,tenant,original_queue_s,status";

    [Fact]
    public void Reads_the_normalized_schema_and_the_optional_columns()
    {
        var csv = "job_id,submit_time_s,gpus,duration_s,gpu_type,tenant,original_queue_s,status,home_region,dataset_gb\n" +
                  "a,0,1,84,,u1,,completed,,\n" +
                  "b,94,8,87,H100,u2,,failed,daegu,250.5\n";
        var jobs = TraceReader.Read(new StringReader(csv), "t.csv");

        Assert.Equal(2, jobs.Count);
        Assert.Equal(new TraceJob("a", 0, 1, 84, "", "u1", "", double.NaN), jobs[0]);
        Assert.Equal(new TraceJob("b", 94, 8, 87, "H100", "u2", "daegu", 250.5), jobs[1]);
    }

    [Theory]
    [InlineData("a,0,0,84,,u1,,completed", "line 2, column 'gpus'")]
    [InlineData("a,0,x,84,,u1,,completed", "line 2, column 'gpus'")]
    [InlineData("a,zero,1,84,,u1,,completed", "line 2, column 'submit_time_s'")]
    [InlineData("a,0,1,-5,,u1,,completed", "line 2, column 'duration_s'")]
    [InlineData("a,0,1,84,,u1,completed", "line 2: expected 8 columns, found 7")]
    [InlineData(",0,1,84,,u1,,completed", "line 2, column 'job_id'")]
    public void A_bad_row_names_its_line_and_column(string row, string expected)
    {
        var e = Assert.Throws<TraceFormatException>(() => TraceReader.Read(new StringReader(Header + "\n" + row + "\n"), "t.csv"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsorted_rows_are_rejected_at_the_line_that_goes_back_in_time()
    {
        var csv = Header + "\na,10,1,5,,u,,completed\nb,20,1,5,,u,,completed\nc,15,1,5,,u,,completed\n";
        var e = Assert.Throws<TraceFormatException>(() => TraceReader.Read(new StringReader(csv), "t.csv"));
        Assert.Contains("line 4, column 'submit_time_s'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_column_is_named()
    {
        var e = Assert.Throws<TraceFormatException>(() => TraceReader.Read(new StringReader("job_id,submit_time_s,duration_s\n"), "t.csv"));
        Assert.Contains("'gpus'", e.Message, StringComparison.Ordinal);
    }
}
