using Federation.Actors.Storage;

namespace Federation.Actors.Tests.Storage;

public sealed class IndexEntriesInternerTests
{
    private static KeyValuePair<string, string>[] Entries(string state, string region) =>
        [new("state", state), new("region", new string(region.AsSpan())), new("active", "1")];

    [Fact]
    public void Rows_with_equal_entries_share_one_array_and_different_entries_do_not()
    {
        var interner = new IndexEntriesInterner();
        var first = interner.Intern(Entries("Queued", "gwangju"));
        var equal = interner.Intern(Entries("Queued", "gwangju"));
        var other = interner.Intern(Entries("Queued", "daegu"));

        Assert.Same(first, equal);
        Assert.NotSame(first, other);
        Assert.Equal(Entries("Queued", "daegu"), other);
        Assert.Null(interner.Intern(null));
    }

    [Fact]
    public void Past_the_bound_a_row_keeps_its_own_array()
    {
        var interner = new IndexEntriesInterner();
        for (var i = 0; i < IndexEntriesInterner.MaxDistinct; i++)
        {
            interner.Intern(Entries("Queued", "r" + i));
        }

        var mine = Entries("Queued", "one more");
        var again = Entries("Queued", "one more");
        Assert.Same(mine, interner.Intern(mine));
        Assert.Same(again, interner.Intern(again));
        Assert.Same(interner.Intern(Entries("Queued", "r0")), interner.Intern(Entries("Queued", "r0")));
    }
}
